// Account, users (admin only) and API tokens (Heroku's /oauth/authorizations shape). The rules:
// services/tokens.ts and services/users.ts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { createToken, createUserWithToken, myTokens, revokeMyToken, tokenViews, type TokenView } from '../services/tokens.ts';
import { allUsers, disableUser, removeUser, revokeTokensOf, tokensOf, userInfo, userParam, type UserInfo } from '../services/users.ts';
import { currentUser, tokenScope } from './auth.ts';
import type { AuthorizationCreateBody, UserCreateBody } from './schemas/account.ts';
import { SchemaValidationError } from './validate.ts';
import { NotFoundError } from '../../common/errors.ts';
import type { ApiDeps } from './deps.ts';
import { accountJson } from './serializers.ts';

const tokenJson = (t: TokenView) => ({
  id: t.id, description: t.description, scope: [t.scope], app: t.app ? { id: t.app.id, name: t.app.name } : null,
  created_at: t.created_at, expires_at: t.expires_at,
});
const userJson = (u: UserInfo) => ({ ...accountJson(u), disabled: u.disabled_at !== null, disabled_at: u.disabled_at });

export function accountRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/account', (_req, res) => { res.json(accountJson(currentUser(res))); });

  r.post('/users', (req, res) => {
    const body = req.body as Static<typeof UserCreateBody>;
    const { user, token } = createUserWithToken(db, currentUser(res), body.email, body.admin === true);
    res.status(201).json({ ...accountJson(user), access_token: { id: token.id, token: token.token } });
  });

  r.get('/oauth/authorizations', (_req, res) => {
    res.json(myTokens(db, currentUser(res)).map(tokenJson));
  });

  // Off-boarding (admins): services/users.ts.
  r.get('/users', (_req, res) => {
    res.json(allUsers(db, currentUser(res)).map(userJson));
  });
  r.patch('/users/:user', (req, res) => {
    const me = currentUser(res);
    const target = userParam(db, me, String(req.params.user));
    const body = req.body as { disabled?: boolean } | undefined;
    res.json(userJson(typeof body?.disabled === 'boolean' ? disableUser(db, me, target, body.disabled) : userInfo(db, target)));
  });
  r.delete('/users/:user', (req, res) => {
    const me = currentUser(res);
    const target = userParam(db, me, String(req.params.user));
    removeUser(db, me, target);
    res.json(accountJson(target));
  });
  r.get('/users/:user/authorizations', (req, res) => {
    res.json(tokenViews(db, tokensOf(db, userParam(db, currentUser(res), String(req.params.user)))).map(tokenJson));
  });
  r.delete('/users/:user/authorizations', (req, res) => {
    const target = userParam(db, currentUser(res), String(req.params.user));
    res.json({ user: { id: target.id, email: target.email }, revoked: revokeTokensOf(db, target) });
  });

  r.post('/oauth/authorizations', (req, res) => {
    const body = req.body as Static<typeof AuthorizationCreateBody> | undefined;
    const deploy = body?.scope?.[0] === 'deploy';
    if (deploy && !body?.app) throw new SchemaValidationError([{ field: 'app', message: 'A deploy token needs the app it deploys.' }]);
    if (!deploy && body?.app) throw new SchemaValidationError([{ field: 'app', message: 'Only a deploy token (scope ["deploy"]) is limited to an app.' }]);
    const expiresIn = body?.expires_in ?? null;
    const { token: t, view } = createToken(db, currentUser(res), tokenScope(res.locals), {
      description: body?.description ?? '', expiresInSec: expiresIn, deployApp: deploy ? body?.app ?? null : null,
    });
    res.status(201).json({ ...tokenJson(view), access_token: { token: t.token, expires_in: expiresIn } });
  });

  // Heroku's authorizations:info: one of the caller's tokens (never its secret).
  r.get('/oauth/authorizations/:id', (req, res) => {
    const found = myTokens(db, currentUser(res)).find((t) => t.id === String(req.params.id));
    if (!found) throw new NotFoundError(`Couldn't find that authorization: ${String(req.params.id)}.`);
    res.json(tokenJson(found));
  });
  r.delete('/oauth/authorizations/:id', (req, res) => {
    revokeMyToken(db, currentUser(res), String(req.params.id));
    res.json({ id: req.params.id });
  });

  return r;
}
