// Account, users (admin only) and API tokens (Heroku's /oauth/authorizations shape).
import { Router } from 'express';
import { ConflictError, ForbiddenError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { createUser, findUserByEmail, issueToken, listTokens, revokeToken } from '../store/users.ts';
import { currentUser } from './auth.ts';
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

  r.get('/oauth/authorizations', (_req, res) => {
    res.json(listTokens(db, currentUser(res).id).map((t) => ({ id: t.id, description: t.description, created_at: t.created_at })));
  });

  r.post('/oauth/authorizations', (req, res) => {
    const description = (req.body as { description?: unknown } | undefined)?.description ?? '';
    if (typeof description !== 'string' || description.length > 200) throw new InvalidParamsError('description must be a string of at most 200 characters.');
    const t = issueToken(db, currentUser(res).id, description);
    res.status(201).json({ id: t.id, description: t.description, created_at: t.created_at, access_token: { token: t.token } });
  });

  r.delete('/oauth/authorizations/:id', (req, res) => {
    if (!revokeToken(db, currentUser(res).id, String(req.params.id))) throw new NotFoundError(`Couldn't find that token: ${req.params.id}.`);
    res.json({ id: req.params.id });
  });

  return r;
}
