// The strict request-head subset the router's fast path (fast-path.ts) serves itself. Anything
// outside it goes to node:http (llhttp), which accepts, rejects (400) or answers it as before:
// the fast path never has to decide an ambiguous case (request smuggling lives there).
// In the subset: "METHOD SP /origin-form SP HTTP/1.1", then "token: value" lines of visible
// ASCII or obs-text, each name once, a Host, at most one Content-Length of digits alone, no
// Transfer-Encoding, no Upgrade, no Expect, and Connection only as "keep-alive" or "close".

/** Longest head (request line and headers, without the blank line) served by the fast path. */
export const MAX_FAST_HEAD_BYTES = 8192;
const MAX_FAST_HEADERS = 64;

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const DIGITS = /^\d{1,15}$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value as Node accepts it: no control characters but HT (so no CR, LF or NUL). */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Header lines "name: value\r\n", each name a token and each value a FIELD_VALUE, none or more. */
export const HEADER_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\t\x20-\x7e\x80-\xff]*\r\n)*$/;

export interface FastHead {
  method: string;
  /** The request target, origin form, as sent. */
  url: string;
  /** Lowercase names, one value each (IncomingHttpHeaders shape). */
  headers: Record<string, string>;
  host: string;
  /** The client asked to close the connection after this response. */
  close: boolean;
  /** Content-Length (0 without one). */
  length: number;
}

/**
 * Parses a request head (latin1 text up to, not including, the blank line) if it lies in the
 * fast subset; null otherwise (the caller then leaves the request to node:http).
 */
export function parseFastHead(text: string): FastHead | null {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const line = REQUEST_LINE.exec(eol === text.length ? text : text.slice(0, eol));
  if (line === null) return null;
  // A plain object (fast properties): a name it already answers to, repeated or inherited
  // (constructor, __proto__…), is left to Node.
  const headers: Record<string, string> = {};
  let count = 0;
  let close = false;
  let length = 0;
  let at = eol + 2;
  while (at < text.length) {
    let next = text.indexOf('\r\n', at);
    if (next === -1) next = text.length;
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > next || ++count > MAX_FAST_HEADERS) return null;
    const name = text.slice(at, colon);
    const raw = text.slice(colon + 1, next);
    at = next + 2;
    if (!TOKEN.test(name) || !FIELD_VALUE.test(raw)) return null;
    const lower = name.toLowerCase();
    if (headers[lower] !== undefined) return null; // repeated: Node's joining rules are left to Node
    const value = trimOws(raw);
    switch (lower) {
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return null;
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
    }
    headers[lower] = value;
  }
  const host = headers.host;
  if (host === undefined) return null;
  return { method: line[1], url: line[2], headers, host, close, length };
}

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
