// Custom domain validation: a fully qualified DNS name the router can match on the Host header,
// that is not an IP address and not one of the platform's own names.
import net from 'node:net';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** What custom domains may be (common/config.ts fields). */
export interface DomainPolicy {
  /** Apps answer at <app>.<platformDomain>: it and every name under it are the platform's. */
  platformDomain: string;
  /** Other names of the platform (API and registry hosts): refused, and names under them too. */
  reservedNames: string[];
  /** When not empty, a custom domain must be one of these or under one (operator setting). */
  allowedSuffixes: string[];
}

export function domainPolicyOf(config: { domain: string; apiUrl: string; registry: string; customDomainSuffixes: string[] }): DomainPolicy {
  const apiHost = (() => { try { return new URL(config.apiUrl).hostname; } catch { return ''; } })();
  const registryHost = config.registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return {
    platformDomain: normalizeHostname(config.domain),
    reservedNames: [apiHost, registryHost, 'localhost'].map(normalizeHostname).filter((h) => h !== ''),
    allowedSuffixes: config.customDomainSuffixes.map(normalizeHostname),
  };
}

/** The form hostnames are stored and compared in: lowercase, one trailing dot removed. */
export const normalizeHostname = (hostname: string): string => hostname.trim().toLowerCase().replace(/\.$/, '');

const under = (h: string, name: string): boolean => h === name || h.endsWith(`.${name}`);

/** Why `hostname` (normalized) cannot be a custom domain, or null. */
export function hostnameProblem(hostname: unknown, policy: DomainPolicy | string): string | null {
  const p: DomainPolicy = typeof policy === 'string' ? { platformDomain: policy, reservedNames: [], allowedSuffixes: [] } : policy;
  if (typeof hostname !== 'string') return 'hostname must be a string.';
  const h = hostname.toLowerCase();
  if (h !== hostname) return `Hostname ${hostname} must be lowercase.`;
  if (h.length > 253) return 'Hostname is longer than 253 characters.';
  const labels = h.split('.');
  // A name whose last label is all digits is an IP address to resolvers and browsers (127.0.0.1, 0x7f.1, 2130706433.0).
  if (net.isIP(h) || /^(0x[0-9a-f]*|\d+)$/.test(labels[labels.length - 1] ?? '')) return `${hostname} is an IP address: custom domains must be DNS names.`;
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return `${hostname} is not a valid hostname (e.g. www.example.com).`;
  if (under(h, p.platformDomain)) return `${hostname} is under the platform domain ${p.platformDomain}, which is reserved for app names.`;
  const reserved = p.reservedNames.find((name) => under(h, name));
  if (reserved) return `${hostname} is a name of the platform itself (${reserved}): it cannot be an app's domain.`;
  if (p.allowedSuffixes.length > 0 && !p.allowedSuffixes.some((s) => under(h, s))) {
    return `${hostname} is not allowed on this platform: custom domains must be under ${p.allowedSuffixes.join(', ')}.`;
  }
  return null;
}
