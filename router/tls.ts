// SNI: which certificate the HTTPS listener presents for a server name. Exact names win over
// wildcards ("*.example.com" covers one label), and the default certificate (normally
// *.<domain>) answers everything else, including clients that send no SNI.
// Secure contexts are costly to build, so they are kept per certificate and reused across bundles.
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { CertBundle } from '../common/tls.ts';
import type { PemPair } from '../common/x509.ts';

export interface SniStore {
  /** Swaps in a bundle unless it is older than the current one; bad certificates are skipped and logged by id. */
  apply(bundle: CertBundle): void;
  /** The context for a server name (any case, trailing dot ignored). */
  contextFor(servername: string): tls.SecureContext;
  SNICallback(servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void;
  version(): number;
}

export interface SniStoreOptions {
  defaultCert: PemPair;
  /** 48 bytes shared by all workers so session tickets resume on any of them. */
  ticketKeys?: Buffer;
  log: (line: string) => void;
}

/** Options every context shares: TLS 1.2+, HTTP/1.1 over ALPN. */
export function contextOptions(pair: PemPair, ticketKeys?: Buffer): tls.SecureContextOptions {
  return { cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2', ...(ticketKeys ? { ticketKeys } : {}) };
}

export function createSniStore(opts: SniStoreOptions): SniStore {
  const fallback = tls.createSecureContext(contextOptions(opts.defaultCert, opts.ticketKeys));
  let version = -1;
  let exact = new Map<string, tls.SecureContext>();
  let wildcard = new Map<string, tls.SecureContext>();
  /** By digest of cert+key, so an unchanged certificate keeps its context. */
  let contexts = new Map<string, tls.SecureContext>();

  const contextFor = (servername: string): tls.SecureContext => {
    let name = servername.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    const hit = exact.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    return (dot > 0 ? wildcard.get(name.slice(dot + 1)) : undefined) ?? fallback;
  };

  return {
    apply(bundle) {
      if (bundle.version < version) return;
      const nextExact = new Map<string, tls.SecureContext>();
      const nextWildcard = new Map<string, tls.SecureContext>();
      const nextContexts = new Map<string, tls.SecureContext>();
      for (const c of bundle.certs) {
        const digest = createHash('sha256').update(c.cert).update('\0').update(c.key).digest('hex');
        let ctx = nextContexts.get(digest) ?? contexts.get(digest);
        if (!ctx) {
          try {
            ctx = tls.createSecureContext(contextOptions(c, opts.ticketKeys));
          } catch {
            opts.log(`certificate ${c.id} not usable (certificate or key invalid), skipped`); // never the PEM itself
            continue;
          }
        }
        nextContexts.set(digest, ctx);
        for (const host of c.hosts) {
          const h = host.toLowerCase();
          if (h.startsWith('*.')) { if (!nextWildcard.has(h.slice(2))) nextWildcard.set(h.slice(2), ctx); }
          else if (!nextExact.has(h)) nextExact.set(h, ctx);
        }
      }
      exact = nextExact;
      wildcard = nextWildcard;
      contexts = nextContexts;
      version = bundle.version;
    },
    contextFor,
    SNICallback(servername, cb) {
      cb(null, contextFor(servername));
    },
    version: () => version,
  };
}

/** Checks the JSON of a bundle; errors never quote the input (it holds private keys). */
export function parseCertBundle(text: string): CertBundle {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('certificate bundle is not valid JSON');
  }
  const d = data as Partial<CertBundle> | null;
  if (typeof d !== 'object' || d === null || !Number.isFinite(d.version) || !Array.isArray(d.certs)) {
    throw new Error('certificate bundle has no version or certs');
  }
  const certs = d.certs.filter((c) => typeof c === 'object' && c !== null && typeof c.id === 'string'
    && Array.isArray(c.hosts) && c.hosts.every((h) => typeof h === 'string') && typeof c.cert === 'string' && typeof c.key === 'string');
  if (certs.length !== d.certs.length) throw new Error('certificate bundle has malformed entries');
  return { version: d.version as number, certs };
}
