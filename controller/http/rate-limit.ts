// Per-account API rate limit, as Heroku's: a token bucket refilled continuously (default 4500
// requests an hour), the remaining count in `RateLimit-Remaining`, 429 when it is empty.
import type { RequestHandler } from 'express';
import { PaasError } from '../../common/errors.ts';
import { currentUser } from './auth.ts';

export class RateLimitError extends PaasError {
  constructor() {
    super('rate_limit', 429, 'Your account reached the API rate limit. Wait a few minutes before making new requests.');
  }
}

export interface RateLimitOptions { perHour: number; now?: () => number }

export function rateLimit(opts: RateLimitOptions): RequestHandler {
  const now = opts.now ?? Date.now;
  const perMs = opts.perHour / 3_600_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (_req, res, next) => {
    const id = currentUser(res).id;
    const t = now();
    const b = buckets.get(id) ?? { tokens: opts.perHour, at: t };
    b.tokens = Math.min(opts.perHour, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(id, b);
    if (b.tokens < 1) {
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(Math.ceil((1 - b.tokens) / perMs / 1000)));
      return next(new RateLimitError());
    }
    b.tokens -= 1;
    res.setHeader('RateLimit-Remaining', String(Math.floor(b.tokens)));
    next();
  };
}
