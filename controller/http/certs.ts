// TLS of an app: SNI endpoints (Heroku's name for uploaded certificates), automatic
// certificates (ACM) and HTTPS settings (redirect, HSTS). Private keys go in, never out.
// The rules: services/app-tls.ts and services/certs.ts.
import type { Static } from '@sinclair/typebox';
import { Router, type Request, type Response } from 'express';
import type { TlsServices } from '../services/acme.ts';
import { acmOf, appCert, appCerts, changeHttps, httpsOf, refreshAcm, removeAppCert, setAcm, sniEndpointName, type CertRow, type HttpsSettings } from '../services/app-tls.ts';
import { certificateInfo } from '../../common/x509.ts';
import { createCertService } from '../services/certs.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { HttpsPatch, SniEndpointCreateBody } from './schemas/domains.ts';

export function certsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;
  let fallback: TlsServices | null = null;
  const services = (): TlsServices => deps.tls ?? (fallback ??= { certs: createCertService(deps), acme: null });
  const logError = (err: unknown): void => deps.logError(err);

  const endpoint = (app: App, c: CertRow) => {
    const domains = JSON.parse(c.domains) as string[];
    const info = certificateInfo(c.cert_pem);
    return {
      id: c.id,
      name: sniEndpointName(app, c),
      app: { id: app.id, name: app.name },
      domains: services().certs.servedHosts(c),
      ssl_cert: {
        cert_domains: domains, issuer: c.issuer, subject: info.subject.replace(/\n/g, ', '), starts_at: c.not_before, expires_at: c.not_after,
        acm: c.source === 'acme', self_signed: info.selfSigned,
        // Heroku's: signed by a CA (here: not self-signed; whether a root store trusts it is not checked).
        'ca_signed?': !info.selfSigned,
      },
      created_at: c.created_at,
      updated_at: c.updated_at,
    };
  };

  const acmJson = (app: App) => ({ app: { id: app.id, name: app.name }, ...acmOf(db, app) });
  const httpsJson = (app: App, s: HttpsSettings) => ({ app: { id: app.id, name: app.name }, redirect_https: s.redirectHttps, hsts: s.hsts });

  r.get('/apps/:app/sni-endpoints', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(appCerts(db, app).map((c) => endpoint(app, c)));
  });

  r.post('/apps/:app/sni-endpoints', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof SniEndpointCreateBody>;
    const row = await services().certs.add(app.id, body.certificate_chain, body.private_key);
    res.status(201).json(endpoint(app, row));
  });

  r.get('/apps/:app/sni-endpoints/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(endpoint(app, appCert(db, app, String(req.params.id))));
  });

  r.delete('/apps/:app/sni-endpoints/:id', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json(endpoint(app, await removeAppCert(db, services(), app, String(req.params.id))));
  });

  r.get('/apps/:app/acm', (req, res) => {
    res.json(acmJson(appParam(deps, req, res)));
  });

  const enable = (on: boolean) => (req: Request, res: Response): void => {
    const app = appParam(deps, req, res);
    setAcm(db, services(), app, on, logError);
    res.json(acmJson(app));
  };
  r.post('/apps/:app/acm', enable(true));
  r.delete('/apps/:app/acm', enable(false));
  r.patch('/apps/:app/acm/refresh', (req, res) => {
    const app = appParam(deps, req, res);
    refreshAcm(db, services(), app, logError);
    res.json(acmJson(app));
  });

  r.get('/apps/:app/https', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(httpsJson(app, httpsOf(db, app)));
  });

  r.patch('/apps/:app/https', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof HttpsPatch>;
    res.json(httpsJson(app, await changeHttps(db, deps.routes, app, { redirectHttps: body.redirect_https, hsts: body.hsts })));
  });

  return r;
}
