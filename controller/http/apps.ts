import { Router } from 'express';
import { ForbiddenError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { addCollaborator, findApp, listAppsFor, listCollaborators, removeCollaborator, setMaintenance } from '../store/apps.ts';
import { findUserByEmail } from '../store/users.ts';
import type { App } from '../store/types.ts';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { appJson } from './serializers.ts';

export function appsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps', (_req, res) => {
    res.json(listAppsFor(db, currentUser(res)).map((a) => appJson(db, config, a)));
  });

  r.post('/apps', async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown };
    if (body.name !== undefined && typeof body.name !== 'string') throw new InvalidParamsError('name must be a string.');
    const app = await deps.apps.create(currentUser(res), body.name as string | undefined);
    res.status(201).json(appJson(db, config, app));
  });

  r.get('/apps/:app', (req, res) => {
    res.json(appJson(db, config, appParam(deps, req, res)));
  });

  r.patch('/apps/:app', async (req, res) => {
    let app = appParam(deps, req, res);
    const me = currentUser(res);
    const body = (req.body ?? {}) as { maintenance?: unknown; name?: unknown };
    if (body.maintenance !== undefined && typeof body.maintenance !== 'boolean') throw new InvalidParamsError('maintenance must be true or false.');
    if (body.name !== undefined && body.name !== app.name) {
      if (!me.admin && app.owner_id !== me.id) throw new ForbiddenError('Only the app owner can rename it.');
      app = await deps.apps.rename(app, body.name, { deployer: deps.deployer, redis: deps.redis, user: me, logError: deps.logError });
    }
    if (typeof body.maintenance === 'boolean') {
      setMaintenance(db, app.id, body.maintenance);
      await deps.routes.sync();
    }
    res.json(appJson(db, config, findApp(db, app.id) as App));
  });

  // Collaborators: only the owner (or an admin) manages them; they see and deploy the app.
  const ownerOnly = (app: App, userId: string, admin: boolean): void => {
    if (!admin && app.owner_id !== userId) throw new ForbiddenError('Only the app owner can manage collaborators.');
  };

  r.get('/apps/:app/collaborators', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listCollaborators(db, app.id).map((c) => ({
      app: { id: app.id, name: app.name }, user: { id: c.user_id, email: c.email }, role: 'collaborator', created_at: c.created_at,
    })));
  });

  r.post('/apps/:app/collaborators', (req, res) => {
    const app = appParam(deps, req, res);
    const me = currentUser(res);
    ownerOnly(app, me.id, me.admin);
    const email = (req.body as { user?: unknown } | undefined)?.user;
    if (typeof email !== 'string') throw new InvalidParamsError('Give the collaborator: {"user": "<email>"}.');
    const user = findUserByEmail(db, email);
    if (!user) throw new NotFoundError(`Couldn't find that user: ${email}.`);
    addCollaborator(db, app.id, user.id);
    res.status(201).json({ app: { id: app.id, name: app.name }, user: { id: user.id, email: user.email }, role: 'collaborator' });
  });

  r.delete('/apps/:app/collaborators/:user', (req, res) => {
    const app = appParam(deps, req, res);
    const me = currentUser(res);
    ownerOnly(app, me.id, me.admin);
    const user = findUserByEmail(db, String(req.params.user));
    if (!user || !removeCollaborator(db, app.id, user.id)) throw new NotFoundError(`${req.params.user} is not a collaborator on ${app.name}.`);
    res.json({ app: { id: app.id, name: app.name }, user: { id: user.id, email: user.email } });
  });

  r.delete('/apps/:app', async (req, res) => {
    const app = appParam(deps, req, res);
    const me = currentUser(res);
    if (!me.admin && app.owner_id !== me.id) throw new ForbiddenError('Only the app owner can destroy it.');
    const json = appJson(db, config, app);
    await deps.apps.destroy(app);
    res.json(json);
  });

  return r;
}
