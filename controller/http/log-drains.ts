// Heroku's log-drain routes: GET/POST /apps/:app/log-drains, GET/DELETE .../log-drains/:id
// (id, token or URL, URL-encoded). The rules: services/log-drains.ts; shipping: drain-shipper.ts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { createLogDrains, type LogDrain } from '../services/log-drains.ts';
import { redactDrainUrl } from '../services/drain-url.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { LogDrainCreateBody, LogDrainSchema } from './schemas/log-drains.ts';

const drainJson = (app: App, d: LogDrain): Static<typeof LogDrainSchema> => ({
  id: d.id, url: redactDrainUrl(d.url), token: d.token, addon: null, app: { id: app.id, name: app.name }, created_at: d.created_at, updated_at: d.updated_at,
});

export function logDrainsRouter(deps: ApiDeps): Router {
  const r = Router();
  const drains = createLogDrains(deps);
  r.get('/apps/:app/log-drains', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(drains.list(app).map((d) => drainJson(app, d)));
  });
  r.post('/apps/:app/log-drains', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof LogDrainCreateBody>;
    res.status(201).json(drainJson(app, await drains.create(app, body.url)));
  });
  r.get('/apps/:app/log-drains/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(drainJson(app, drains.get(app, String(req.params.id))));
  });
  r.delete('/apps/:app/log-drains/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(drainJson(app, drains.remove(app, String(req.params.id))));
  });
  return r;
}
