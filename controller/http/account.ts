// Account, users (admin only) and API tokens (Heroku's /oauth/authorizations shape).
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { ConflictError, ForbiddenError, NotFoundError } from '../../common/errors.ts';
import { authorizeApp } from '../services/access.ts';
import { findApp } from '../store/apps.ts';
import { transaction } from '../store/db.ts';
import { GLOBAL_SCOPE, scopesOfTokens, setTokenScope, type TokenScope } from '../store/token-scopes.ts';
import { createUser, findUserByEmail, issueToken, listTokens, listUsers, revokeToken, type TokenInfo } from '../store/users.ts';
import { disableUser, removeUser, requireAdmin, revokeTokensOf, tokensOf, userParam } from '../services/users.ts';
import { currentUser, tokenScope } from './auth.ts';
import type { AuthorizationCreateBody, UserCreateBody } from './schemas/account.ts';
import { SchemaValidationError } from './validate.ts';
import type { ApiDeps } from './deps.ts';
import { accountJson } from './serializers.ts';

export function accountRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/account', (_req, res) => { res.json(accountJson(currentUser(res))); });

  r.post('/users', (req, res) => {
    if (!currentUser(res).admin) throw new ForbiddenError('Only admins can create users.');
    const body = req.body as Static<typeof UserCreateBody>;
    if (findUserByEmail(db, body.email)) throw new ConflictError(`A user with email ${body.email} already exists.`);
    const user = createUser(db, body.email, body.admin === true);
    const token = issueToken(db, user.id, 'initial token');
    res.status(201).json({ ...accountJson(user), access_token: { id: token.id, token: token.token } });
  });

  // A token's scope and app, as the API shows them.
  const scopeJson = (scope: TokenScope) => {
    const app = scope.appId ? findApp(db, scope.appId) : null;
    return { scope: [scope.scope], app: app ? { id: app.id, name: app.name } : null };
  };

  const tokensJson = (tokens: TokenInfo[]) => {
    const scopes = scopesOfTokens(db, tokens.map((t) => t.id));
    return tokens.map((t) => ({
      id: t.id, description: t.description, ...scopeJson(scopes.get(t.id) ?? GLOBAL_SCOPE), created_at: t.created_at, expires_at: t.expires_at,
    }));
  };

  r.get('/oauth/authorizations', (_req, res) => {
    res.json(tokensJson(listTokens(db, currentUser(res).id)));
  });

  // Off-boarding (admins): services/users.ts.
  const userJson = (u: { id: string; email: string; admin: boolean; created_at: string; disabled_at: string | null }) =>
    ({ ...accountJson(u), disabled: u.disabled_at !== null, disabled_at: u.disabled_at });
  r.get('/users', (_req, res) => {
    requireAdmin(currentUser(res));
    res.json(listUsers(db).map(userJson));
  });
  r.patch('/users/:user', (req, res) => {
    const me = currentUser(res);
    const target = userParam(db, me, String(req.params.user));
    const body = req.body as { disabled?: boolean } | undefined;
    if (typeof body?.disabled === 'boolean') disableUser(db, me, target, body.disabled);
    res.json(userJson(listUsers(db).find((u) => u.id === target.id)!));
  });
  r.delete('/users/:user', (req, res) => {
    const me = currentUser(res);
    const target = userParam(db, me, String(req.params.user));
    removeUser(db, me, target);
    res.json(accountJson(target));
  });
  r.get('/users/:user/authorizations', (req, res) => {
    res.json(tokensJson(tokensOf(db, userParam(db, currentUser(res), String(req.params.user)))));
  });
  r.delete('/users/:user/authorizations', (req, res) => {
    const target = userParam(db, currentUser(res), String(req.params.user));
    res.json({ user: { id: target.id, email: target.email }, revoked: revokeTokensOf(db, target) });
  });

  r.post('/oauth/authorizations', (req, res) => {
    const body = req.body as Static<typeof AuthorizationCreateBody> | undefined;
    const me = currentUser(res);
    // Only a global token makes tokens: a deploy token cannot mint itself a wider one.
    if (tokenScope(res.locals).scope !== 'global') throw new ForbiddenError('A deploy token cannot create tokens.');
    let scope: TokenScope = GLOBAL_SCOPE;
    if (body?.scope?.[0] === 'deploy') {
      if (!body.app) throw new SchemaValidationError([{ field: 'app', message: 'A deploy token needs the app it deploys.' }]);
      const app = authorizeApp(db, me, body.app);
      scope = { scope: 'deploy', appId: app.id };
    } else if (body?.app) {
      throw new SchemaValidationError([{ field: 'app', message: 'Only a deploy token (scope ["deploy"]) is limited to an app.' }]);
    }
    const t = transaction(db, () => {
      const issued = issueToken(db, me.id, body?.description ?? '', body?.expires_in ?? null);
      if (scope.scope !== 'global') setTokenScope(db, issued.id, scope);
      return issued;
    });
    const expiresIn = body?.expires_in ?? null;
    res.status(201).json({
      id: t.id, description: t.description, ...scopeJson(scope), created_at: t.created_at, expires_at: t.expires_at,
      access_token: { token: t.token, expires_in: expiresIn },
    });
  });

  // Admins revoke anyone's token (off-boarding); others only their own.
  r.delete('/oauth/authorizations/:id', (req, res) => {
    const me = currentUser(res);
    if (!revokeToken(db, me.admin ? null : me.id, String(req.params.id))) throw new NotFoundError(`Couldn't find that token: ${req.params.id}.`);
    res.json({ id: req.params.id });
  });

  return r;
}
