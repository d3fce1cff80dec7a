// Custom domains (Heroku's /apps/:app/domains): the router answers them for the app.
import { Router } from 'express';
import { normalizeHostname } from '../../common/hostname.ts';
import { NotFoundError } from '../../common/errors.ts';
import { addCustomDomain } from '../services/domains.ts';
import { listDomains, removeDomain, type Domain } from '../store/domains.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';

export function domainsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;
  const json = (app: App, d: Domain | null, hostname: string, kind: 'custom' | 'default') => ({
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
    res.json([json(app, null, `${app.name}.${config.domain}`, 'default'), ...listDomains(db, app.id).map((d) => json(app, d, d.hostname, 'custom'))]);
  });

  r.post('/apps/:app/domains', async (req, res) => {
    const app = appParam(deps, req, res);
    const d = addCustomDomain(db, config, app, (req.body as { hostname?: unknown } | undefined)?.hostname);
    await deps.routes.sync();
    res.status(201).json(json(app, d, d.hostname, 'custom'));
  });

  r.delete('/apps/:app/domains/:hostname', async (req, res) => {
    const app = appParam(deps, req, res);
    const hostname = normalizeHostname(String(req.params.hostname));
    if (!removeDomain(db, app.id, hostname)) throw new NotFoundError(`Couldn't find domain ${hostname} on ${app.name}.`);
    await deps.routes.sync();
    res.json({ hostname, app: { id: app.id, name: app.name } });
  });

  return r;
}
