// Header rules of the router: request ids, X-Forwarded-*, Via, and hop-by-hop stripping.
// Functions mutate the header objects they are given (req.headers / proxyRes.headers) because
// http-proxy-3 copies req.headers into the upstream request.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const VIA = '1.1 paas';
const REQUEST_ID = /^[A-Za-z0-9+/=_.:-]{20,200}$/;

/** Hop-by-hop headers (RFC 9110 §7.6.1). Transfer-Encoding is left to Node, which re-frames bodies. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade'];

/** Keeps the client's X-Request-ID when it looks sane, else makes a new one. */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string = randomUUID): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : generate();
}

/** Removes hop-by-hop headers, including those the Connection header names. `keep` survives (for upgrades). */
export function stripHopByHop(headers: IncomingHttpHeaders, keep: readonly string[] = []): void {
  const named = String(headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) {
    if (!keep.includes(name)) delete headers[name];
  }
}

/** True when an HTTP/1.x client asked to close its connection after this response. */
export function clientWantsClose(httpVersion: string, connection: string | undefined): boolean {
  const tokens = (connection ?? '').toLowerCase();
  return httpVersion === '1.0' ? !/\bkeep-alive\b/.test(tokens) : /\bclose\b/.test(tokens);
}

export function appendVia(existing: string | string[] | undefined): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing;
  return prior ? `${prior}, ${VIA}` : VIA;
}

export interface ForwardInfo {
  /** Address of the peer that connected to the router. */
  remoteAddress: string | undefined;
  /** Host header as the client sent it (may carry a port). */
  host: string;
  requestId: string;
  /** Arrival time, ms since epoch. */
  startedAt: number;
  /** The client came over TLS (X-Forwarded-Proto https, default port 443). */
  secure?: boolean;
}

/**
 * Sets the headers an app sees behind the router. X-Forwarded-For is appended to (the
 * client may sit behind its own proxies); Proto, Port and Host are the router's own view
 * since it is the edge. X-Forwarded-Port is the port the client addressed (from Host).
 */
export function addForwardHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): void {
  const client = (info.remoteAddress ?? '').replace(/^::ffff:/, '');
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  headers['x-forwarded-proto'] = info.secure ? 'https' : 'http';
  headers['x-forwarded-port'] = /:(\d+)$/.exec(info.host)?.[1] ?? (info.secure ? '443' : '80');
  headers['x-forwarded-host'] = info.host;
  headers['x-request-id'] = info.requestId;
  headers['x-request-start'] = `t=${info.startedAt}`;
  headers.via = appendVia(headers.via);
}
