// API tokens (Heroku's /oauth/authorizations): who a token belongs to and what it may reach.
// A global token acts as its user; a deploy token only on its one app's deploy routes
// (http/validate.ts). Only a global token makes tokens, so a deploy token cannot mint itself a
// wider one. Admins revoke anyone's token (off-boarding), others only their own.
import { ConflictError, ForbiddenError, NotFoundError } from '../../common/errors.ts';
import { findApp } from '../store/apps.ts';
import { transaction, type Db } from '../store/db.ts';
import { GLOBAL_SCOPE, scopeOfToken, scopesOfTokens, setTokenScope, type TokenScope } from '../store/token-scopes.ts';
import type { App, User } from '../store/types.ts';
import { createUser, findUserByEmail, issueToken, listTokens, revokeToken, userForToken, type IssuedToken, type TokenInfo } from '../store/users.ts';
import { authorizeApp } from './access.ts';

export { GLOBAL_SCOPE, type TokenScope } from '../store/token-scopes.ts';
export type { IssuedToken, TokenInfo } from '../store/users.ts';

/** A token as its owner sees it: the scope's name and the app of a deploy token. */
export interface TokenView extends TokenInfo { scope: TokenScope['scope']; app: App | null }

const viewOf = (db: Db, t: TokenInfo, scope: TokenScope): TokenView => ({ ...t, scope: scope.scope, app: scope.appId ? findApp(db, scope.appId) : null });

/** The user and scope of a presented token, or null when it is unknown, expired or revoked. */
export function tokenHolder(db: Db, token: string): { user: User; scope: TokenScope } | null {
  const user = userForToken(db, token);
  return user ? { user, scope: scopeOfToken(db, token) } : null;
}

/** Tokens with their scopes, in the order given. */
export function tokenViews(db: Db, tokens: TokenInfo[]): TokenView[] {
  const scopes = scopesOfTokens(db, tokens.map((t) => t.id));
  return tokens.map((t) => viewOf(db, t, scopes.get(t.id) ?? GLOBAL_SCOPE));
}

export const myTokens = (db: Db, me: User): TokenView[] => tokenViews(db, listTokens(db, me.id));

/** A new token of `me`: global, or a deploy token of an app `me` may see (404 otherwise).
 *  Refused (403) when the caller's own token is not global. */
export function createToken(
  db: Db, me: User, callerScope: TokenScope, opts: { description: string; expiresInSec: number | null; deployApp: string | null },
): { token: IssuedToken; view: TokenView } {
  if (callerScope.scope !== 'global') throw new ForbiddenError('A deploy token cannot create tokens.');
  const scope: TokenScope = opts.deployApp ? { scope: 'deploy', appId: authorizeApp(db, me, opts.deployApp).id } : GLOBAL_SCOPE;
  const token = transaction(db, () => {
    const issued = issueToken(db, me.id, opts.description, opts.expiresInSec);
    if (scope.scope !== 'global') setTokenScope(db, issued.id, scope);
    return issued;
  });
  return { token, view: viewOf(db, token, scope) };
}

/** Revokes a token of `me` (an admin: anyone's); 404 when there is no such token. */
export function revokeMyToken(db: Db, me: User, id: string): void {
  if (!revokeToken(db, me.admin ? null : me.id, id)) throw new NotFoundError(`Couldn't find that token: ${id}.`);
}

/** An admin creates a user with a first token (403 for others, 409 if the email is taken). */
export function createUserWithToken(db: Db, me: User, email: string, admin: boolean): { user: User; token: IssuedToken } {
  if (!me.admin) throw new ForbiddenError('Only admins can create users.');
  if (findUserByEmail(db, email)) throw new ConflictError(`A user with email ${email} already exists.`);
  const user = createUser(db, email, admin);
  return { user, token: issueToken(db, user.id, 'initial token') };
}

/** Whether a deploy token's scope covers the app of that name or id. */
export const scopeCoversApp = (db: Db, scope: TokenScope, nameOrId: string): boolean => findApp(db, nameOrId)?.id === scope.appId;
