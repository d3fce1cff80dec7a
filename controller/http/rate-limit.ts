// Request limits of the API and git endpoints, shared by both (controller/index.ts makes one set):
// - per account, as Heroku's: a token bucket refilled continuously (default 4500 requests an
//   hour), the remaining count in `RateLimit-Remaining`, 429 when it is empty;
// - failed logins per client address: a bad token, hook secret or git password takes one from a
//   small bucket; while it is empty every attempt from that address is refused (429) before the
//   credentials are even looked at, so guessing costs time.
import type { RequestHandler } from 'express';
import { PaasError } from '../../common/errors.ts';
import { currentUser } from './auth.ts';

export class RateLimitError extends PaasError {
  readonly retryAfterSec: number;
  constructor(message = 'Your account reached the API rate limit. Wait a few minutes before making new requests.', retryAfterSec = 60) {
    super('rate_limit', 429, message);
    this.retryAfterSec = retryAfterSec;
  }
}

/** Token buckets by key: `capacity` tokens, refilled at `perSec`. Memory stays bounded: full
 *  buckets are forgotten when there are many. */
export interface Buckets {
  /** Takes a token; the wait in seconds when there was none (0: taken). */
  take(key: string): number;
  /** The wait before `key` has a token again (0: it has one), without taking it. */
  wait(key: string): number;
  remaining(key: string): number;
}

export function createBuckets(opts: { capacity: number; perSec: number; now?: () => number; maxKeys?: number }): Buckets {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (key: string) => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: opts.capacity, at: t };
    b.tokens = Math.min(opts.capacity, b.tokens + ((t - b.at) / 1000) * opts.perSec);
    b.at = t;
    if (!buckets.has(key)) {
      if (buckets.size >= maxKeys) for (const [k, v] of buckets) if (v.tokens + ((t - v.at) / 1000) * opts.perSec >= opts.capacity) buckets.delete(k);
      buckets.set(key, b);
    }
    return b;
  };
  const waitOf = (b: { tokens: number }) => (b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / opts.perSec));
  return {
    take(key) {
      const b = refill(key);
      const w = waitOf(b);
      if (w === 0) b.tokens -= 1;
      return w;
    },
    wait: (key) => waitOf(refill(key)),
    remaining: (key) => Math.floor(refill(key).tokens),
  };
}

export interface RequestLimits {
  /** Requests per account (API and git). */
  accounts: Buckets;
  /** Failed logins per client address. */
  failedLogins: Buckets;
}

export interface LimitOptions {
  /** Requests per account and hour. */
  perHour: number;
  /** Failed logins an address may make at once, then one per `failedLoginEverySec`. */
  failedLoginBurst?: number;
  failedLoginEverySec?: number;
  now?: () => number;
}

export function createRequestLimits(opts: LimitOptions): RequestLimits {
  return {
    accounts: createBuckets({ capacity: opts.perHour, perSec: opts.perHour / 3600, now: opts.now }),
    failedLogins: createBuckets({ capacity: opts.failedLoginBurst ?? 20, perSec: 1 / (opts.failedLoginEverySec ?? 6), now: opts.now }),
  };
}

export const tooManyFailedLogins = (retryAfterSec: number): RateLimitError =>
  new RateLimitError(`Too many failed logins from your address. Retry in ${retryAfterSec} s.`, retryAfterSec);

/** The per-account limit, after authentication. */
export function rateLimit(limits: RequestLimits): RequestHandler {
  return (_req, res, next) => {
    const id = currentUser(res).id;
    const wait = limits.accounts.take(id);
    if (wait > 0) {
      res.setHeader('RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(wait));
      return next(new RateLimitError(undefined, wait));
    }
    res.setHeader('RateLimit-Remaining', String(limits.accounts.remaining(id)));
    next();
  };
}
