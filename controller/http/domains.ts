// Custom domains (Heroku's /apps/:app/domains): the router answers them for the app.
import { Router } from 'express';
import type { Domain } from '../store/domains.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';

export function domainsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { config } = deps;
  const json = (app: App, d: Domain | null, hostname: string, kind: 'custom' | 'heroku') => ({
    id: d?.id ?? `${app.id}:default`,
    hostname,
    kind,
    cname: kind === 'custom' ? `${app.name}.${config.domain}` : null,
    status: 'succeeded',
    app: { id: app.id, name: app.name },
    created_at: d?.created_at ?? app.created_at,
  });

  r.get('/apps/:app/domains', (req, res) => {
    const app = appParam(deps, req, res);
    res.json([json(app, null, `${app.name}.${config.domain}`, 'heroku'), ...deps.domains.list(app).map((d) => json(app, d, d.hostname, 'custom'))]);
  });

  r.post('/apps/:app/domains', async (req, res) => {
    const app = appParam(deps, req, res);
    const d = await deps.domains.add(app, (req.body as { hostname?: unknown } | undefined)?.hostname);
    res.status(201).json(json(app, d, d.hostname, 'custom'));
  });

  r.delete('/apps/:app/domains/:hostname', async (req, res) => {
    const app = appParam(deps, req, res);
    const hostname = await deps.domains.remove(app, String(req.params.hostname));
    res.json({ hostname, app: { id: app.id, name: app.name } });
  });

  return r;
}
