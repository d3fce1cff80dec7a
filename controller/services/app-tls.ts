// TLS of one app, as its API routes use it: its certificates (find, remove and republish),
// automatic certificates (ACM: on/off, refresh, status per custom domain) and HTTPS settings
// (redirect, HSTS; the routers learn them from the route table). Uploads: services/certs.ts.
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { hostMatches } from '../../common/x509.ts';
import { findCert, httpsSettings, listCerts, removeCert, updateHttpsSettings, type CertRow, type HttpsSettings } from '../store/certs.ts';
import type { Db } from '../store/db.ts';
import { listDomains } from '../store/domains.ts';
import type { App } from '../store/types.ts';
import type { TlsServices } from './acme.ts';
import type { RoutePublisher } from './route-publisher.ts';

export type { CertRow, HttpsSettings } from '../store/certs.ts';

export interface AcmDomain { hostname: string; status: string; error: string | null; updated_at: string | null }

export const appCerts = (db: Db, app: App): CertRow[] => listCerts(db, app.id);

/** Heroku's SNI endpoint name of a certificate (the Heroku CLI's certs:info/remove use it). */
export const sniEndpointName = (app: App, c: CertRow): string => `${app.name}-${c.id.slice(0, 8)}`;

/** A certificate by id or by its SNI endpoint name. */
const findAppCert = (db: Db, app: App, idOrName: string): CertRow | null =>
  findCert(db, app.id, idOrName) ?? appCerts(db, app).find((c) => sniEndpointName(app, c) === idOrName) ?? null;

/** The app's certificate of that id or name, else 404. */
export function appCert(db: Db, app: App, id: string): CertRow {
  const row = findAppCert(db, app, id);
  if (!row) throw new NotFoundError(`Couldn't find SNI endpoint ${id} on ${app.name}.`);
  return row;
}

/** The certificate the router presents for `hostname` among the app's: unexpired, covering it,
 *  the latest to expire (services/certs.ts publishes them in that order). */
export function certFor(db: Db, app: App, hostname: string): CertRow | null {
  const host = hostname.toLowerCase();
  const covering = appCerts(db, app).filter((c) => Date.parse(c.not_after) > Date.now() && (JSON.parse(c.domains) as string[]).some((d) => hostMatches(d.toLowerCase(), host)));
  return covering.sort((a, b) => b.not_after.localeCompare(a.not_after))[0] ?? null;
}

/** Removes one (404 if the app has none of that id or name) and republishes the bundle. */
export async function removeAppCert(db: Db, tls: TlsServices, app: App, id: string): Promise<CertRow> {
  const row = findAppCert(db, app, id);
  if (!row || !removeCert(db, app.id, row.id)) throw new NotFoundError(`Couldn't find SNI endpoint ${id} on ${app.name}.`);
  await tls.certs.publish();
  return row;
}

/** ACM on/off, and the status of each custom domain ("disabled" while off). */
export function acmOf(db: Db, app: App): { acm: boolean; domains: AcmDomain[] } {
  const s = httpsSettings(db, app.id);
  return {
    acm: s.acm,
    domains: listDomains(db, app.id).map((d) => ({
      hostname: d.hostname,
      status: s.acm ? s.acmStatus[d.hostname]?.status ?? 'pending' : 'disabled',
      error: s.acmStatus[d.hostname]?.error ?? null,
      updated_at: s.acmStatus[d.hostname]?.updated_at ?? null,
    })),
  };
}

/** Turns ACM on (and starts fetching certificates in the background) or off (forgetting status). */
export function setAcm(db: Db, tls: TlsServices, app: App, on: boolean, logError: (err: unknown) => void): void {
  updateHttpsSettings(db, app.id, { acm: on, ...(on ? {} : { acmStatus: {} }) });
  if (on) startRefresh(tls, app, logError);
}

/** Fetches certificates again now (422 while ACM is off). */
export function refreshAcm(db: Db, tls: TlsServices, app: App, logError: (err: unknown) => void): void {
  if (!httpsSettings(db, app.id).acm) throw new InvalidParamsError(`Automatic certificates are off for ${app.name} (paas certs:auto:enable).`);
  startRefresh(tls, app, logError);
}

function startRefresh(tls: TlsServices, app: App, logError: (err: unknown) => void): void {
  if (tls.acme) void tls.acme.refresh(app.id, { force: true }).catch(logError);
}

export const httpsOf = (db: Db, app: App): HttpsSettings => httpsSettings(db, app.id);

/** Changes redirect/HSTS; resolves once the routers have the new route table. */
export async function changeHttps(db: Db, routes: RoutePublisher, app: App, change: { redirectHttps?: boolean; hsts?: boolean }): Promise<HttpsSettings> {
  const next = updateHttpsSettings(db, app.id, {
    ...(change.redirectHttps !== undefined ? { redirectHttps: change.redirectHttps } : {}),
    ...(change.hsts !== undefined ? { hsts: change.hsts } : {}),
  });
  await routes.sync();
  return next;
}
