// Header rules of the router: request ids, X-Forwarded-*, Via, and hop-by-hop stripping.
// Plain requests build the upstream request's and the client response's header lists in one
// pass each (upstreamHeaders / downstreamHeaders); websocket upgrades mutate req.headers
// (stripHopByHop / addForwardHeaders) because http-proxy-3 copies them upstream.
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
  for (const name of [...HOP_BY_HOP, ...(connectionNames(headers.connection) ?? [])]) {
    if (!keep.includes(name)) delete headers[name];
  }
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
  /** The peer is a trusted proxy (trusted-proxies.ts): its X-Forwarded-* and Forwarded are kept. */
  trusted?: boolean;
}

/**
 * Sets the headers an app sees behind the router. From a client, X-Forwarded-For is its
 * address alone and Proto, Port and Host are the router's own view (it is the edge);
 * Forwarded and X-Real-IP are dropped. From a trusted proxy, X-Forwarded-For is appended to
 * and the proxy's Proto, Port, Host, Forwarded and X-Real-IP are kept.
 * X-Forwarded-Port is the port the client addressed (from Host).
 */
export function addForwardHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): void {
  const added: HeaderList = [];
  if (!info.trusted) for (const name of CLIENT_CLAIMS) delete headers[name];
  pushForwardHeaders(added, headers, info);
  for (let i = 0; i < added.length; i += 2) headers[added[i]] = added[i + 1];
}

/** What a client's request says about where it came from: read only from a trusted proxy (and
 *  Via, which the router appends to). An IncomingHttpHeaders is one. */
export interface ForwardClaims {
  'x-forwarded-for'?: string | string[];
  'x-forwarded-proto'?: string | string[];
  'x-forwarded-port'?: string | string[];
  'x-forwarded-host'?: string | string[];
  via?: string | string[];
}

/** A request that claims nothing. */
export const NO_CLAIMS: Readonly<ForwardClaims> = Object.freeze({});

/** Appends the router's own request headers (the values addForwardHeaders sets) to `out`. */
function pushForwardHeaders(out: HeaderList, headers: ForwardClaims, info: ForwardInfo): void {
  const trusted = info.trusted === true;
  out.push(
    'x-forwarded-for', forwardedFor(info.remoteAddress, headers, trusted),
    'x-forwarded-proto', (trusted && single(headers['x-forwarded-proto'])) || (info.secure ? 'https' : 'http'),
    'x-forwarded-port', (trusted && single(headers['x-forwarded-port'])) || (portOf(info.host) ?? (info.secure ? '443' : '80')),
    'x-forwarded-host', (trusted && single(headers['x-forwarded-host'])) || info.host,
    'x-request-id', info.requestId,
    'x-request-start', `t=${info.startedAt}`,
    'via', appendVia(headers.via),
  );
}

/** X-Forwarded-For as the app gets it: the client's address, after a trusted proxy's list. */
export function forwardedFor(remoteAddress: string | undefined, headers: ForwardClaims, trusted: boolean): string {
  const address = remoteAddress ?? '';
  const client = address.startsWith('::ffff:') ? address.slice(7) : address;
  const prior = trusted ? headers['x-forwarded-for'] : undefined;
  return prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** A flat [name, value, name, value…] header list (undici's request headers, writeHead's array form);
 *  a repeated header is repeated in the list. */
export type HeaderList = string[];

/** Not copied from the client's request: hop-by-hop, framing (upstreams.ts frames the body
 *  anew), already answered by Node (expect), or set by the router itself. */
const REQUEST_DROP = new Set([...HOP_BY_HOP, 'transfer-encoding', 'content-length', 'expect', 'x-forwarded-for', 'x-forwarded-proto',
  'x-forwarded-port', 'x-forwarded-host', 'x-request-id', 'x-request-start', 'via']);
/** What a client may claim about itself that only a trusted proxy is believed on. */
const CLIENT_CLAIMS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-host', 'forwarded', 'x-real-ip'];
/** Not copied from an untrusted peer's request: the above, and its claims. */
export const UNTRUSTED_REQUEST_DROP: ReadonlySet<string> = new Set([...REQUEST_DROP, ...CLIENT_CLAIMS]);

/** Whether a request header (lowercase name) is left out of what the app gets. */
export function requestHeaderDropped(lower: string, trusted: boolean): boolean {
  return (trusted ? REQUEST_DROP : UNTRUSTED_REQUEST_DROP).has(lower);
}

/** Not copied from the app's response: hop-by-hop, re-framed by Node for this client, or rewritten. */
const RESPONSE_DROP = new Set([...HOP_BY_HOP, 'proxy-authenticate', 'transfer-encoding', 'via']);

/** A quick first test of a header name (`length` characters of `text` from `at`) against some
 *  lowercase names: their lengths and first letters, either case (the low 5 bits). A name that
 *  fails is none of them; one that passes is compared in full. */
export function nameShapes(names: Iterable<string>): (text: string, at: number, length: number) => boolean {
  const shapes = new Uint8Array(32 * 32);
  for (const name of names) {
    if (name.length >= 32) throw new Error(`nameShapes: "${name}" is 32 characters or more`);
    shapes[name.length * 32 + (name.charCodeAt(0) & 31)] = 1;
  }
  return (text, at, length) => length < 32 && shapes[length * 32 + (text.charCodeAt(at) & 31)] === 1;
}

/** The response header names downstreamHeaders looks at (dropped, Via, X-Request-ID). */
const responseExamined = nameShapes([...RESPONSE_DROP, 'x-request-id']);

/** Header names a Connection header lists beyond its usual keep-alive/close (those are hop-by-hop too). */
function connectionNames(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const lower = String(value).toLowerCase();
  if (lower === 'keep-alive' || lower === 'close') return null;
  return lower.split(',').map((t) => t.trim()).filter(Boolean);
}

/** The headers to pass on, as a flat list: all but those in `drop` and those Connection names. */
function endToEnd(headers: IncomingHttpHeaders, drop: ReadonlySet<string>): HeaderList {
  const named = connectionNames(headers.connection);
  const out: HeaderList = [];
  for (const name in headers) {
    if (drop.has(name) || (named !== null && named.includes(name))) continue;
    push(out, name, headers[name]);
  }
  return out;
}

function push(out: HeaderList, name: string, value: string | string[] | undefined): void {
  if (typeof value === 'string') out.push(name, value);
  else if (value !== undefined) for (const v of value) out.push(name, v);
}

/** The port the client addressed, from Host ("name:port", "[v6]:port"), or null. */
export function portOf(host: string): string | null {
  let i = host.length;
  while (i > 0) {
    const c = host.charCodeAt(i - 1);
    if (c < 48 || c > 57) break;
    i--;
  }
  return i < host.length && i > 0 && host.charCodeAt(i - 1) === 58 ? host.slice(i) : null;
}

/**
 * The request headers an app sees behind the router, as one flat list: the client's headers
 * without hop-by-hop ones (including those its Connection header names) and, unless the peer
 * is trusted, without Forwarded and X-Real-IP; then the router's X-Forwarded-*, X-Request-ID,
 * X-Request-Start and Via (same rules as addForwardHeaders).
 */
export function upstreamHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): HeaderList {
  const out = endToEnd(headers, info.trusted ? REQUEST_DROP : UNTRUSTED_REQUEST_DROP);
  pushForwardHeaders(out, headers, info);
  return out;
}

/** The router's own request header lines ("name: value\r\n" each), those upstreamHeaders adds
 *  after the client's; `claims` null: the request made none. */
export function forwardLines(claims: ForwardClaims | null, info: ForwardInfo): string {
  const list: HeaderList = [];
  pushForwardHeaders(list, claims ?? NO_CLAIMS, info);
  return headerLines(list);
}

/** text[from, to) without the optional whitespace around a header value (RFC 9110 §5.5), sliced once. */
export function owsTrimmed(text: string, from: number, to: number): string {
  while (from < to && isOws(text.charCodeAt(from))) from++;
  while (to > from && isOws(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

const isOws = (c: number): boolean => c === 32 || c === 9;

/** A header list as lines, "name: value\r\n" each. */
export function headerLines(list: HeaderList): string {
  let out = '';
  for (let i = 0; i < list.length; i += 2) out += `${list[i]}: ${list[i + 1]}\r\n`;
  return out;
}

/**
 * The response headers the client gets from an app's response (a flat list, names as the app
 * sent them), as one flat list: without hop-by-hop ones and Transfer-Encoding (Node frames the
 * body and sets Connection for this client), with Via appended and X-Request-ID added unless
 * the app set one. A Content-Length beside Transfer-Encoding is dropped too (the body is re-framed).
 */
export function downstreamHeaders(headers: HeaderList, requestId: string): HeaderList {
  let named: string[] | null = null;
  let framedByChunks = false;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i].length;
    if (n === 10 && headers[i].toLowerCase() === 'connection') {
      const more = connectionNames(headers[i + 1]);
      if (more !== null) named = [...(named ?? []), ...more];
    } else if (n === 17 && headers[i].toLowerCase() === 'transfer-encoding') {
      framedByChunks = true;
    }
  }
  // With Transfer-Encoding, a Content-Length is wrong (RFC 9112 §6.3): the body is framed anew.
  if (framedByChunks) named = [...(named ?? []), 'content-length'];
  const out: HeaderList = [];
  let via: string | undefined;
  let hasRequestId = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    // Only a name shaped like one of those examined here is lowercased (most are not: no copy).
    if (named === null && !responseExamined(name, 0, name.length)) {
      out.push(name, headers[i + 1]);
      continue;
    }
    const lower = name.toLowerCase();
    if (lower === 'via') {
      via = via === undefined ? headers[i + 1] : `${via}, ${headers[i + 1]}`;
      continue;
    }
    if (RESPONSE_DROP.has(lower) || (named !== null && named.includes(lower))) continue;
    if (lower === 'x-request-id') hasRequestId = true;
    out.push(name, headers[i + 1]);
  }
  if (!hasRequestId) out.push('x-request-id', requestId);
  out.push('via', appendVia(via));
  return out;
}
