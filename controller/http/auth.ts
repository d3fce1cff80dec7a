import type { RequestHandler, Response } from 'express';
import { UnauthorizedError } from '../../common/errors.ts';
import type { Db } from '../store/db.ts';
import { GLOBAL_SCOPE, scopeOfToken, type TokenScope } from '../store/token-scopes.ts';
import type { User } from '../store/types.ts';
import { userForToken } from '../store/users.ts';
import { tokenFromAuthorization } from './credentials.ts';
import { tooManyFailedLogins, type RequestLimits } from './rate-limit.ts';

/** Authenticates every request by its token. A client address with too many failed logins is
 *  refused before its token is looked at (rate-limit.ts). */
export function authenticate(db: Db, limits: RequestLimits): RequestHandler {
  return (req, res, next) => {
    const token = tokenFromAuthorization(req.headers.authorization);
    if (!token) return next(new UnauthorizedError('Authentication required: send your API token as a Bearer token.'));
    const address = req.socket.remoteAddress ?? '';
    const wait = limits.failedLogins.wait(address);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return next(tooManyFailedLogins(wait));
    }
    const user = userForToken(db, token);
    if (!user) {
      limits.failedLogins.take(address);
      return next(new UnauthorizedError('Invalid credentials provided.'));
    }
    res.locals.user = user;
    res.locals.scope = scopeOfToken(db, token);
    next();
  };
}

export const currentUser = (res: Response): User => res.locals.user as User;

/** The scope of the request's token (global unless it is a deploy token). */
export const tokenScope = (locals: Record<string, unknown>): TokenScope => (locals.scope as TokenScope | undefined) ?? GLOBAL_SCOPE;
