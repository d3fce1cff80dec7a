import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { AppCreateBody, AppUpdateBody, CollaboratorCreateBody } from './schemas/apps.ts';
import { appJson } from './serializers.ts';

export function appsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps', (_req, res) => {
    res.json(deps.apps.list(currentUser(res)).map((a) => appJson(db, config, a)));
  });

  // Heroku: a user's apps (owned or collaborated on); `~` is the caller, another user is for admins.
  r.get('/users/:user/apps', (req, res) => {
    res.json(deps.apps.listOf(currentUser(res), String(req.params.user)).map((a) => appJson(db, config, a)));
  });

  r.post('/apps', async (req, res) => {
    const body = req.body as Static<typeof AppCreateBody>;
    const app = await deps.apps.create(currentUser(res), body.name);
    res.status(201).json(appJson(db, config, app));
  });

  r.get('/apps/:app', (req, res) => {
    res.json(appJson(db, config, appParam(deps, req, res)));
  });

  r.patch('/apps/:app', async (req, res) => {
    const body = req.body as Static<typeof AppUpdateBody>;
    let app = appParam(deps, req, res);
    if (body.name !== undefined && body.name !== app.name) {
      app = appParam(deps, req, res, 'rename');
      app = await deps.apps.rename(app, body.name, currentUser(res));
    }
    if (body.maintenance !== undefined) app = await deps.apps.setMaintenance(app, body.maintenance);
    res.json(appJson(db, config, app));
  });

  // Collaborators: only the owner (or an admin) manages them; they see and deploy the app. The
  // list starts with the owner (role owner), as Heroku's does (the Heroku CLI's `access` shows it).
  r.get('/apps/:app/collaborators', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(deps.apps.collaborators(app).map((c) => ({ app: { id: app.id, name: app.name }, user: c.user, role: c.role, created_at: c.created_at })));
  });

  r.post('/apps/:app/collaborators', (req, res) => {
    const app = appParam(deps, req, res, 'collaborators');
    const email = (req.body as Static<typeof CollaboratorCreateBody>).user;
    const user = deps.apps.addCollaborator(app, email);
    res.status(201).json({ app: { id: app.id, name: app.name }, user, role: 'collaborator' });
  });

  r.delete('/apps/:app/collaborators/:user', (req, res) => {
    const app = appParam(deps, req, res, 'collaborators');
    res.json({ app: { id: app.id, name: app.name }, user: deps.apps.removeCollaborator(app, String(req.params.user)) });
  });

  r.delete('/apps/:app', async (req, res) => {
    const app = appParam(deps, req, res, 'destroy');
    const json = appJson(db, config, app);
    await deps.apps.destroy(app);
    res.json(json);
  });

  return r;
}
