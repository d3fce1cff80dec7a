// The strict request-head subset the router's fast path (fast-path.ts) serves itself. Anything
// outside it goes to node:http (llhttp), which accepts, rejects (400) or answers it as before:
// the fast path never has to decide an ambiguous case (request smuggling lives there).
// In the subset: "METHOD SP /origin-form SP HTTP/1.1", then "token: value" lines of visible
// ASCII or obs-text, a Host, at most one Content-Length of digits alone, no Transfer-Encoding,
// no Upgrade, no Expect, Connection only as "keep-alive" or "close", and each header the router
// looks at once. The header lines the app gets pass on as they came (the router's own dropped).
import { nameShapes, owsTrimmed, requestHeaderDropped, UNTRUSTED_REQUEST_DROP, type ForwardClaims } from './headers.ts';

/** Longest head (request line and headers, without the blank line) served by the fast path. */
export const MAX_FAST_HEAD_BYTES = 8192;
const MAX_FAST_HEADERS = 64;

const REQUEST_LINE = /^(?:GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) \/[\x21-\x7e]* HTTP\/1\.1$/;
const DIGITS = /^\d{1,15}$/;
/** A header value as Node accepts it: no control characters but HT (so no CR, LF or NUL). */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Header lines "name: value\r\n", each name a token and each value a FIELD_VALUE, none or more. */
export const HEADER_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\t\x20-\x7e\x80-\xff]*\r\n)*$/;

export interface FastHead {
  method: string;
  /** The request target, origin form, as sent. */
  url: string;
  host: string;
  /** The client asked to close the connection after this response. */
  close: boolean;
  /** Content-Length (0 without one). */
  length: number;
  /** The client's X-Request-ID, if it sent one. */
  requestId: string | undefined;
  /** The header lines the app gets from the client, as they came ("Name: value\r\n" each): all
   *  but those the router drops or sets itself (headers.ts: requestHeaderDropped). */
  lines: string;
  /** X-Forwarded-* and Via as the client sent them (null: none), for the router's own lines. */
  claims: ForwardClaims | null;
}

/** Header lines "name:value" (each name a token, each value FIELD_VALUE's characters), CRLF
 *  between them; matched from lastIndex to the end. */
const HEADER_BLOCK = /(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*(?:\r\n|$))*$/y;

/** The request headers the fast path looks at (lowercase): those it refuses, frames, routes by,
 *  or drops (headers.ts). Each may come once; any other header passes on as it came, repeated or not. */
const EXAMINED: ReadonlySet<string> = new Set([...UNTRUSTED_REQUEST_DROP, 'host', 'http2-settings']);
/** Only a name shaped like an EXAMINED one is lowercased and looked up (not the usual Accept…,
 *  Cookie or User-Agent). */
const examinedShape = nameShapes(EXAMINED);

/**
 * Parses a request head (latin1 text up to, not including, the blank line) if it lies in the
 * fast subset; null otherwise (the caller then leaves the request to node:http). `trusted`: the
 * peer is a trusted proxy, whose Forwarded and X-Real-IP pass on.
 */
export function parseFastHead(text: string, trusted = false): FastHead | null {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  if (!REQUEST_LINE.test(eol === text.length ? text : text.slice(0, eol))) return null;
  HEADER_BLOCK.lastIndex = eol + 2;
  if (eol + 2 < text.length && !HEADER_BLOCK.test(text)) return null;
  const sp = text.indexOf(' ');
  let host: string | undefined;
  let requestId: string | undefined;
  let claims: ForwardClaims | null = null;
  let examined: string[] | null = null;
  let count = 0;
  let close = false;
  let length = 0;
  let lines = '';
  let run = eol + 2; // the start of the lines kept since the last one dropped
  let at = eol + 2;
  while (at < text.length) {
    let next = text.indexOf('\r\n', at);
    if (next === -1) next = text.length;
    const colon = text.indexOf(':', at); // within the line: HEADER_BLOCK matched
    if (++count > MAX_FAST_HEADERS) return null;
    const lineAt = at;
    at = next + 2;
    if (!examinedShape(text, lineAt, colon - lineAt)) continue;
    const lower = text.slice(lineAt, colon).toLowerCase();
    if (!EXAMINED.has(lower)) continue;
    if (examined === null) examined = [lower];
    else if (examined.includes(lower)) return null; // repeated: Node's joining rules are left to Node
    else examined.push(lower);
    const value = owsTrimmed(text, colon + 1, next);
    switch (lower) {
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return null;
      case 'host':
        host = value;
        continue; // passed on
      case 'content-length':
        if (!DIGITS.test(value)) return null;
        length = Number(value);
        break;
      case 'connection': {
        const v = value.toLowerCase();
        if (v === 'close') close = true;
        else if (v !== 'keep-alive') return null;
        break;
      }
      case 'x-request-id':
        requestId = value;
        break;
      case 'x-forwarded-for':
      case 'x-forwarded-proto':
      case 'x-forwarded-port':
      case 'x-forwarded-host':
      case 'via':
        (claims ??= {})[lower as keyof ForwardClaims] = value;
        break;
    }
    if (!requestHeaderDropped(lower, trusted)) continue;
    lines += text.slice(run, lineAt);
    run = at;
  }
  if (host === undefined) return null;
  if (run < text.length) lines += `${text.slice(run)}\r\n`;
  return { method: text.slice(0, sp), url: text.slice(sp + 1, eol - 9), host, close, length, requestId, lines, claims };
}
