import type { RequestHandler, Response } from 'express';
import { UnauthorizedError } from '../../common/errors.ts';
import type { Db } from '../store/db.ts';
import { GLOBAL_SCOPE, scopeOfToken, type TokenScope } from '../store/token-scopes.ts';
import type { User } from '../store/types.ts';
import { userForToken } from '../store/users.ts';
import { tokenFromAuthorization } from './credentials.ts';

export function authenticate(db: Db): RequestHandler {
  return (req, res, next) => {
    const token = tokenFromAuthorization(req.headers.authorization);
    if (!token) return next(new UnauthorizedError('Authentication required: send your API token as a Bearer token.'));
    const user = userForToken(db, token);
    if (!user) return next(new UnauthorizedError('Invalid credentials provided.'));
    res.locals.user = user;
    res.locals.scope = scopeOfToken(db, token);
    next();
  };
}

export const currentUser = (res: Response): User => res.locals.user as User;

/** The scope of the request's token (global unless it is a deploy token). */
export const tokenScope = (locals: Record<string, unknown>): TokenScope => (locals.scope as TokenScope | undefined) ?? GLOBAL_SCOPE;
