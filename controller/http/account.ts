// Account, users (admin only) and API tokens (Heroku's /oauth/authorizations shape).
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { ConflictError, ForbiddenError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { canAccess, findApp } from '../store/apps.ts';
import { transaction } from '../store/db.ts';
import { GLOBAL_SCOPE, scopesOfTokens, setTokenScope, type TokenScope } from '../store/token-scopes.ts';
import { createUser, findUserByEmail, issueToken, listTokens, revokeToken } from '../store/users.ts';
import { currentUser, tokenScope } from './auth.ts';
import type { AuthorizationCreateBody } from './schemas/account.ts';
import { SchemaValidationError } from './validate.ts';
import type { ApiDeps } from './deps.ts';
import { accountJson } from './serializers.ts';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function accountRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/account', (_req, res) => { res.json(accountJson(currentUser(res))); });

  r.post('/users', (req, res) => {
    if (!currentUser(res).admin) throw new ForbiddenError('Only admins can create users.');
    const body = (req.body ?? {}) as { email?: unknown; admin?: unknown };
    if (typeof body.email !== 'string' || !EMAIL.test(body.email)) throw new InvalidParamsError('Give a valid "email".');
    if (body.admin !== undefined && typeof body.admin !== 'boolean') throw new InvalidParamsError('admin must be true or false.');
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

  r.get('/oauth/authorizations', (_req, res) => {
    const tokens = listTokens(db, currentUser(res).id);
    const scopes = scopesOfTokens(db, tokens.map((t) => t.id));
    res.json(tokens.map((t) => ({ id: t.id, description: t.description, ...scopeJson(scopes.get(t.id) ?? GLOBAL_SCOPE), created_at: t.created_at })));
  });

  r.post('/oauth/authorizations', (req, res) => {
    const body = req.body as Static<typeof AuthorizationCreateBody> | undefined;
    const me = currentUser(res);
    // Only a global token makes tokens: a deploy token cannot mint itself a wider one.
    if (tokenScope(res.locals).scope !== 'global') throw new ForbiddenError('A deploy token cannot create tokens.');
    let scope: TokenScope = GLOBAL_SCOPE;
    if (body?.scope?.[0] === 'deploy') {
      if (!body.app) throw new SchemaValidationError([{ field: 'app', message: 'A deploy token needs the app it deploys.' }]);
      const app = findApp(db, body.app);
      if (!app || !canAccess(db, me, app)) throw new NotFoundError(`Couldn't find that app: ${body.app}.`);
      scope = { scope: 'deploy', appId: app.id };
    } else if (body?.app) {
      throw new SchemaValidationError([{ field: 'app', message: 'Only a deploy token (scope ["deploy"]) is limited to an app.' }]);
    }
    const t = transaction(db, () => {
      const issued = issueToken(db, me.id, body?.description ?? '');
      if (scope.scope !== 'global') setTokenScope(db, issued.id, scope);
      return issued;
    });
    res.status(201).json({ id: t.id, description: t.description, ...scopeJson(scope), created_at: t.created_at, access_token: { token: t.token } });
  });

  r.delete('/oauth/authorizations/:id', (req, res) => {
    if (!revokeToken(db, currentUser(res).id, String(req.params.id))) throw new NotFoundError(`Couldn't find that token: ${req.params.id}.`);
    res.json({ id: req.params.id });
  });

  return r;
}
