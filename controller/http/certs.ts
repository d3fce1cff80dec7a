// TLS of an app: SNI endpoints (Heroku's name for uploaded certificates), automatic
// certificates (ACM) and HTTPS settings (redirect, HSTS). Private keys go in, never out.
import type { Static } from '@sinclair/typebox';
import { Router, type Request, type Response } from 'express';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import type { TlsServices } from '../services/acme.ts';
import { createCertService } from '../services/certs.ts';
import { findCert, httpsSettings, listCerts, removeCert, updateHttpsSettings, type CertRow } from '../store/certs.ts';
import { listDomains } from '../store/domains.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { HttpsPatch, SniEndpointCreateBody } from './schemas/domains.ts';

export function certsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;
  let fallback: TlsServices | null = null;
  const services = (): TlsServices => deps.tls ?? (fallback ??= { certs: createCertService(deps), acme: null });

  const endpoint = (app: App, c: CertRow) => {
    const domains = JSON.parse(c.domains) as string[];
    return {
      id: c.id,
      name: `${app.name}-${c.id.slice(0, 8)}`,
      app: { id: app.id, name: app.name },
      domains: services().certs.servedHosts(c),
      ssl_cert: {
        cert_domains: domains, issuer: c.issuer, starts_at: c.not_before, expires_at: c.not_after,
        acm: c.source === 'acme', self_signed: false,
      },
      created_at: c.created_at,
      updated_at: c.updated_at,
    };
  };

  const acmJson = (app: App) => {
    const s = httpsSettings(db, app.id);
    return {
      app: { id: app.id, name: app.name },
      acm: s.acm,
      domains: listDomains(db, app.id).map((d) => ({
        hostname: d.hostname,
        status: s.acm ? s.acmStatus[d.hostname]?.status ?? 'pending' : 'disabled',
        error: s.acmStatus[d.hostname]?.error ?? null,
        updated_at: s.acmStatus[d.hostname]?.updated_at ?? null,
      })),
    };
  };

  const httpsJson = (app: App) => {
    const s = httpsSettings(db, app.id);
    return { app: { id: app.id, name: app.name }, redirect_https: s.redirectHttps, hsts: s.hsts };
  };

  r.get('/apps/:app/sni-endpoints', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listCerts(db, app.id).map((c) => endpoint(app, c)));
  });

  r.post('/apps/:app/sni-endpoints', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof SniEndpointCreateBody>;
    const row = await services().certs.add(app.id, body.certificate_chain, body.private_key);
    res.status(201).json(endpoint(app, row));
  });

  r.get('/apps/:app/sni-endpoints/:id', (req, res) => {
    const app = appParam(deps, req, res);
    const row = findCert(db, app.id, String(req.params.id));
    if (!row) throw new NotFoundError(`Couldn't find SNI endpoint ${req.params.id} on ${app.name}.`);
    res.json(endpoint(app, row));
  });

  r.delete('/apps/:app/sni-endpoints/:id', async (req, res) => {
    const app = appParam(deps, req, res);
    const row = findCert(db, app.id, String(req.params.id));
    if (!row || !removeCert(db, app.id, row.id)) throw new NotFoundError(`Couldn't find SNI endpoint ${req.params.id} on ${app.name}.`);
    await services().certs.publish();
    res.json(endpoint(app, row));
  });

  r.get('/apps/:app/acm', (req, res) => {
    res.json(acmJson(appParam(deps, req, res)));
  });

  const enable = (on: boolean) => (req: Request, res: Response): void => {
    const app = appParam(deps, req, res);
    updateHttpsSettings(db, app.id, { acm: on, ...(on ? {} : { acmStatus: {} }) });
    if (on) startRefresh(app);
    res.json(acmJson(app));
  };
  const startRefresh = (app: App): void => {
    const acme = services().acme;
    if (acme) void acme.refresh(app.id, { force: true }).catch((err: unknown) => deps.logError(err));
  };
  r.post('/apps/:app/acm', enable(true));
  r.delete('/apps/:app/acm', enable(false));
  r.patch('/apps/:app/acm/refresh', (req, res) => {
    const app = appParam(deps, req, res);
    if (!httpsSettings(db, app.id).acm) throw new InvalidParamsError(`Automatic certificates are off for ${app.name} (paas certs:auto:enable).`);
    startRefresh(app);
    res.json(acmJson(app));
  });

  r.get('/apps/:app/https', (req, res) => {
    res.json(httpsJson(appParam(deps, req, res)));
  });

  r.patch('/apps/:app/https', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof HttpsPatch>;
    updateHttpsSettings(db, app.id, {
      ...(body.redirect_https !== undefined ? { redirectHttps: body.redirect_https } : {}),
      ...(body.hsts !== undefined ? { hsts: body.hsts } : {}),
    });
    await deps.routes.sync();
    res.json(httpsJson(app));
  });

  return r;
}
