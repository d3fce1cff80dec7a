// The small HTML pages the router answers with itself, each carrying the request id.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouterErrorCode } from '../common/app-log.ts';

export type PageKind = 'bad-request' | 'no-such-app' | 'no-web-processes' | 'maintenance' | 'bad-gateway' | 'gateway-timeout'
  | 'payload-too-large';

/** `code`: the Heroku error code logged with the page (bad-gateway's depends on the failure). */
const PAGES: Record<PageKind, { status: number; title: string; message: string; code?: RouterErrorCode }> = {
  'bad-request': { status: 400, title: 'Bad request', message: 'The request has a missing or invalid Host header.' },
  'no-such-app': { status: 404, title: 'No such app', message: 'There is no app configured at this hostname.' },
  'no-web-processes': {
    status: 503,
    title: 'Application unavailable',
    message: 'This app has no running web processes. If you own it, scale up its web process type.',
    code: 'H10',
  },
  maintenance: { status: 503, title: 'Offline for maintenance', message: 'This app is undergoing maintenance. Please check back soon.', code: 'H80' },
  'bad-gateway': { status: 502, title: 'Bad gateway', message: 'The app did not answer the request properly.' },
  'gateway-timeout': { status: 504, title: 'Gateway timeout', message: 'The app took too long to start answering the request.', code: 'H12' },
  'payload-too-large': { status: 413, title: 'Payload too large', message: 'The request body is larger than this router accepts.' },
};

export interface Page {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function pageStatus(kind: PageKind): number {
  return PAGES[kind].status;
}

export function pageCode(kind: PageKind): RouterErrorCode | undefined {
  return PAGES[kind].code;
}

export function renderPage(kind: PageKind, requestId: string): Page {
  const { status, title, message } = PAGES[kind];
  const id = escapeHtml(requestId);
  const body = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1><p>${message}</p><p><small>Request ID: <code>${id}</code></small></p></body></html>
`;
  return {
    status,
    body,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-request-id': requestId,
    },
  };
}

/** Answers with a page; a response already under way is cut instead (its status is out). */
export function sendPage(res: ServerResponse, kind: PageKind, requestId: string): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const page = renderPage(kind, requestId);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  // The reason phrase given, not one left by an app's head that writeHead refused ("502 OK").
  res.writeHead(page.status, STATUS_CODES[page.status], page.headers);
  res.end(res.req.method === 'HEAD' ? undefined : page.body);
  return res.req.method === 'HEAD' ? 0 : Buffer.byteLength(page.body);
}

/** Writes a page as a raw HTTP/1.1 response on a socket taken over by an upgrade, then closes it. */
export function writeRawPage(socket: Duplex, kind: PageKind, requestId: string): void {
  if (socket.destroyed || !socket.writable) return;
  const page = renderPage(kind, requestId);
  const head = [`HTTP/1.1 ${page.status} ${STATUS_CODES[page.status]}`, 'connection: close'];
  for (const [name, value] of Object.entries(page.headers)) head.push(`${name}: ${value}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${page.body}`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
