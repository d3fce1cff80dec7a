// Per-app HTTPS policy: plain-HTTP requests get a permanent redirect (308 keeps the method and
// body) to the same URL over HTTPS; HTTPS responses may carry HSTS. HSTS is never sent over
// plain HTTP (RFC 6797 §7.2).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One year, as recommended for HSTS preload lists; subdomains are not included (apps are siblings). */
export const HSTS_VALUE = 'max-age=31536000';

/** The https:// URL of a plain request: the Host's name, the public HTTPS port (omitted when 443). */
export function httpsUrl(host: string, path: string, httpsPort: number): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${path.startsWith('/') ? path : `/${path}`}`;
}

export function sendHttpsRedirect(req: IncomingMessage, res: ServerResponse, httpsPort: number, requestId: string): number {
  const location = httpsUrl(req.headers.host ?? '', req.url ?? '/', httpsPort);
  const body = `Redirecting to ${location}\n`;
  res.writeHead(308, {
    location, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return req.method === 'HEAD' ? 0 : Buffer.byteLength(body);
}
