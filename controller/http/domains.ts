// Custom domains (Heroku's /apps/:app/domains): the router answers them for the app.
import { Router } from 'express';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { appCert, certFor, sniEndpointName } from '../services/app-tls.ts';
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
    sni_endpoint: sniEndpoint(app, hostname),
    created_at: d?.created_at ?? app.created_at,
  });
  const sniEndpoint = (app: App, hostname: string): { id: string; name: string } | null => {
    const c = certFor(deps.db, app, hostname);
    return c ? { id: c.id, name: sniEndpointName(app, c) } : null;
  };
  /** The app's hostname of that name (its own or a custom one), else 404. */
  const one = (app: App, hostname: string) => {
    const own = `${app.name}.${config.domain}`;
    if (hostname.toLowerCase() === own) return json(app, null, own, 'heroku');
    const d = deps.domains.list(app).find((x) => x.hostname === hostname.toLowerCase());
    if (!d) throw new NotFoundError(`Couldn't find domain ${hostname} on ${app.name}.`);
    return json(app, d, d.hostname, 'custom');
  };

  r.get('/apps/:app/domains', (req, res) => {
    const app = appParam(deps, req, res);
    res.json([json(app, null, `${app.name}.${config.domain}`, 'heroku'), ...deps.domains.list(app).map((d) => json(app, d, d.hostname, 'custom'))]);
  });

  r.post('/apps/:app/domains', async (req, res) => {
    const app = appParam(deps, req, res);
    const d = await deps.domains.add(app, (req.body as { hostname?: unknown } | undefined)?.hostname);
    res.status(201).json(json(app, d, d.hostname, 'custom'));
  });

  r.get('/apps/:app/domains/:hostname', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(one(app, String(req.params.hostname)));
  });

  // The Heroku CLI's certs:add associates hostnames with the new certificate. The router picks
  // certificates by hostname, so the choice is accepted when it is the one it would pick anyway.
  r.patch('/apps/:app/domains/:hostname', (req, res) => {
    const app = appParam(deps, req, res);
    const domain = one(app, String(req.params.hostname));
    const wanted = (req.body as { sni_endpoint: string | null }).sni_endpoint;
    if (wanted !== null) {
      const c = appCert(deps.db, app, wanted);
      if (domain.sni_endpoint?.id !== c.id) throw new InvalidParamsError(`${sniEndpointName(app, c)} is not the certificate served for ${domain.hostname} (certificates are picked by hostname: the newest unexpired one covering it).`);
    }
    res.json(domain);
  });

  r.delete('/apps/:app/domains/:hostname', async (req, res) => {
    const app = appParam(deps, req, res);
    const hostname = await deps.domains.remove(app, String(req.params.hostname));
    res.json({ hostname, app: { id: app.id, name: app.name } });
  });

  return r;
}
