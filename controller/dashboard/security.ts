// What every dashboard answer carries (CSP without inline script, no framing, no referrer to other sites, not
// cached) and the CSRF checks: a change carries the session's token in X-CSRF-Token, and a
// browser's Origin, when sent, is this host.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { PaasError } from '../../common/errors.ts';

export const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export class CsrfError extends PaasError {
  constructor(message = 'This change lacks the dashboard\'s CSRF token: reload the page and try again.') { super('csrf_failed', 403, message); }
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its form posts.
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  next();
};

export const isSafeMethod = (method: string | undefined): boolean => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/** True unless the browser says the request comes from an origin other than `origins`
 *  (its Origin header, else its Referer). */
export function sameOrigin(req: IncomingMessage, origins: string[]): boolean {
  const from = req.headers.origin ?? req.headers.referer;
  if (!from || from === 'null') return from !== 'null';
  try {
    return origins.includes(new URL(from).origin);
  } catch {
    return false;
  }
}

export function tokensEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
