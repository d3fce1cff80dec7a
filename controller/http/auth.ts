import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { UnauthorizedError } from '../../common/errors.ts';
import { GLOBAL_SCOPE, tokenHolder, type TokenScope } from '../services/tokens.ts';
import type { Db } from '../store/db.ts';
import type { User } from '../store/types.ts';
import { tokenFromAuthorization } from './credentials.ts';
import { RateLimitError, tooManyFailedLogins, type RequestLimits } from './rate-limit.ts';

/** The user and scope of a request's token (API requests, and the run attach websocket). A
 *  client address with too many failed logins is refused before its token is looked at
 *  (rate-limit.ts). Throws a coded error (401, 429). */
export function userOfRequest(db: Db, limits: RequestLimits, req: IncomingMessage): { user: User; scope: TokenScope } {
  const token = tokenFromAuthorization(req.headers.authorization);
  if (!token) throw new UnauthorizedError('Authentication required: send your API token as a Bearer token.');
  const address = req.socket.remoteAddress ?? '';
  const wait = limits.failedLogins.wait(address);
  if (wait > 0) throw tooManyFailedLogins(wait);
  const holder = tokenHolder(db, token);
  if (!holder) {
    limits.failedLogins.take(address);
    throw new UnauthorizedError('Invalid credentials provided.');
  }
  return holder;
}

/** Authenticates every request by its token (userOfRequest). */
export function authenticate(db: Db, limits: RequestLimits): RequestHandler {
  return (req, res, next) => {
    try {
      const { user, scope } = userOfRequest(db, limits, req);
      res.locals.user = user;
      res.locals.scope = scope;
      next();
    } catch (err) {
      if (err instanceof RateLimitError) res.setHeader('Retry-After', String(err.retryAfterSec));
      next(err);
    }
  };
}

export const currentUser = (res: Response): User => res.locals.user as User;

/** The scope of the request's token (global unless it is a deploy token). */
export const tokenScope = (locals: Record<string, unknown>): TokenScope => (locals.scope as TokenScope | undefined) ?? GLOBAL_SCOPE;
