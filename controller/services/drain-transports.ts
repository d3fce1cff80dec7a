// How frames reach a drain. syslog+tcp / syslog+tls: one long-lived connection, frames written
// back to back (RFC 6587 octet counting); a batch counts as delivered once the kernel took it.
// https: one POST per batch, Logplex's headers, any 2xx accepts it (no redirect is followed).
// Every connection goes only to addresses the platform's policy allows, checked on the resolved
// addresses at connect time; TLS is verified against the system CAs plus the operator's extra CA
// file. A write or request that does not finish within `timeoutMs` fails: the shipper retries
// it later, it never waits on a stalled receiver. Error texts name no credentials.
import net from 'node:net';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { guardedLookup, resolveAllowed, urlHost, type UrlPolicy } from '../../common/url-policy.ts';
import { drainPort } from './drain-url.ts';

export interface DrainTransport {
  /** Delivers the frames of one batch; rejects when they were not delivered (retry the batch). */
  send(frames: Buffer[], frameId: string): Promise<void>;
  close(): void;
}

export interface TransportOptions {
  policy: UrlPolicy;
  /** Extra trusted CA certificates (PEM), beside the system's. */
  extraCa: string[];
  /** Connect, write and request time limit. */
  timeoutMs: number;
}

/** A short reason for a failure, without URLs or credentials. */
export function failureReason(err: unknown): string {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EURLPOLICY' || (e as { id?: unknown }).id === 'url_not_allowed') return 'refused by the platform\'s address policy';
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  if (err instanceof Error && /^(HTTP \d{3}|timed out|connection closed)$/.test(err.message)) return err.message;
  return err instanceof Error ? err.name : 'failed';
}

const trusted = (extra: string[]): string[] | undefined => (extra.length ? [...tls.rootCertificates, ...extra] : undefined);

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => { onTimeout(); reject(new Error('timed out')); }, ms); }),
  ]).finally(() => clearTimeout(timer));
}

function syslogTransport(url: URL, opts: TransportOptions): DrainTransport {
  const host = urlHost(url);
  const port = drainPort(url);
  const secure = url.protocol === 'syslog+tls:';
  let socket: net.Socket | null = null;

  async function connect(): Promise<net.Socket> {
    if (socket && !socket.destroyed) return socket;
    const [address] = await resolveAllowed(host, opts.policy);
    const s = secure
      ? tls.connect({ host: address, port, servername: net.isIP(host) ? undefined : host, ca: trusted(opts.extraCa) })
      : net.connect({ host: address, port });
    s.on('error', () => undefined);
    s.on('data', () => undefined); // a receiver's chatter is read and ignored, never left to pile up
    s.on('close', () => { if (socket === s) socket = null; });
    const failed = (err: Error): void => rejectReady(err);
    const closed = (): void => rejectReady(new Error('connection closed'));
    let rejectReady: (err: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      rejectReady = reject;
      s.once(secure ? 'secureConnect' : 'connect', () => resolve());
      s.once('error', failed);
      s.once('close', closed);
    });
    await withTimeout(ready, opts.timeoutMs, () => s.destroy()).finally(() => { s.off('error', failed); s.off('close', closed); });
    s.setKeepAlive(true, 30_000);
    socket = s;
    return s;
  }

  return {
    async send(frames) {
      const s = await connect();
      let onClose = (): void => undefined;
      const written = new Promise<void>((resolve, reject) => {
        onClose = () => reject(new Error('connection closed'));
        s.once('close', onClose);
        s.write(Buffer.concat(frames), (err) => (err ? reject(err) : resolve()));
      });
      // One listener per batch, removed with it: a long-lived connection collects none.
      await withTimeout(written, opts.timeoutMs, () => s.destroy()).finally(() => s.off('close', onClose));
    },
    close() { socket?.destroy(); socket = null; },
  };
}

function httpsTransport(url: URL, token: string, opts: TransportOptions): DrainTransport {
  const target = new URL(url);
  const auth = target.username || target.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
    : null;
  target.username = '';
  target.password = '';
  const dispatcher = new Agent({
    connect: { lookup: guardedLookup(opts.policy), ca: trusted(opts.extraCa), timeout: opts.timeoutMs },
    connections: 1, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
  });
  return {
    async send(frames, frameId) {
      // An IP literal never goes through the lookup: checked here (the operator's policy may change).
      await resolveAllowed(urlHost(target), opts.policy);
      const body = Buffer.concat(frames);
      const res = await request(target, {
        method: 'POST', dispatcher, body, signal: AbortSignal.timeout(opts.timeoutMs),
        headers: {
          'content-type': 'application/logplex-1', 'content-length': String(body.length), 'user-agent': 'Logplex/paas',
          'logplex-msg-count': String(frames.length), 'logplex-frame-id': frameId, 'logplex-drain-token': token,
          ...(auth ? { authorization: auth } : {}),
        },
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
    },
    close() { void dispatcher.destroy().catch(() => undefined); },
  };
}

export function createTransport(url: URL, token: string, opts: TransportOptions): DrainTransport {
  return url.protocol === 'https:' ? httpsTransport(url, token, opts) : syslogTransport(url, opts);
}
