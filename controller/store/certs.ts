// TLS state of apps: their certificates (uploaded or from ACME; private keys stay in the store
// and the Redis bundle, never in API answers or logs) and their HTTPS settings.
import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';

export type CertSource = 'uploaded' | 'acme';

export interface CertRow {
  id: string;
  app_id: string;
  source: CertSource;
  /** JSON array of the certificate's DNS names. */
  domains: string;
  cert_pem: string;
  key_pem: string;
  issuer: string;
  not_before: string;
  not_after: string;
  created_at: string;
  updated_at: string;
}

export interface NewCert {
  appId: string;
  source: CertSource;
  domains: string[];
  certPem: string;
  keyPem: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

export function addCert(db: Db, c: NewCert): CertRow {
  const at = now();
  const row: CertRow = {
    id: randomUUID(), app_id: c.appId, source: c.source, domains: JSON.stringify(c.domains), cert_pem: c.certPem, key_pem: c.keyPem,
    issuer: c.issuer, not_before: c.notBefore.toISOString(), not_after: c.notAfter.toISOString(), created_at: at, updated_at: at,
  };
  db.prepare(`INSERT INTO certificates (id, app_id, source, domains, cert_pem, key_pem, issuer, not_before, not_after, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.id, row.app_id, row.source, row.domains, row.cert_pem, row.key_pem, row.issuer,
    row.not_before, row.not_after, row.created_at, row.updated_at);
  return row;
}

export function listCerts(db: Db, appId?: string): CertRow[] {
  return (appId
    ? db.prepare('SELECT * FROM certificates WHERE app_id = ? ORDER BY created_at').all(appId)
    : db.prepare('SELECT * FROM certificates ORDER BY created_at').all()) as unknown as CertRow[];
}

export function findCert(db: Db, appId: string, id: string): CertRow | null {
  return (db.prepare('SELECT * FROM certificates WHERE app_id = ? AND id = ?').get(appId, id) as unknown as CertRow | undefined) ?? null;
}

export function removeCert(db: Db, appId: string, id: string): boolean {
  return Number(db.prepare('DELETE FROM certificates WHERE app_id = ? AND id = ?').run(appId, id).changes) > 0;
}

/** Drops an app's ACME certificates for a domain (before storing a renewed one). */
export function removeAcmeCertsFor(db: Db, appId: string, domain: string): void {
  for (const c of listCerts(db, appId)) {
    if (c.source === 'acme' && (JSON.parse(c.domains) as string[]).includes(domain)) removeCert(db, appId, c.id);
  }
}

export interface AcmDomainStatus {
  /** "pending", "cert issued", "failing". */
  status: string;
  error: string | null;
  updated_at: string;
}

export interface HttpsSettings {
  acm: boolean;
  redirectHttps: boolean;
  hsts: boolean;
  acmStatus: Record<string, AcmDomainStatus>;
}

interface TlsRow { app_id: string; acm: number; redirect_https: number; hsts: number; acm_status: string }

const fromRow = (r: TlsRow | undefined): HttpsSettings => ({
  acm: r?.acm === 1, redirectHttps: r?.redirect_https === 1, hsts: r?.hsts === 1,
  acmStatus: r ? (JSON.parse(r.acm_status) as Record<string, AcmDomainStatus>) : {},
});

export function httpsSettings(db: Db, appId: string): HttpsSettings {
  return fromRow(db.prepare('SELECT * FROM app_tls WHERE app_id = ?').get(appId) as unknown as TlsRow | undefined);
}

/** Settings of every app that has any, by app id (for the route table). */
export function allHttpsSettings(db: Db): Map<string, HttpsSettings> {
  const rows = db.prepare('SELECT * FROM app_tls').all() as unknown as TlsRow[];
  return new Map(rows.map((r) => [r.app_id, fromRow(r)]));
}

export function updateHttpsSettings(db: Db, appId: string, patch: Partial<HttpsSettings>): HttpsSettings {
  const next = { ...httpsSettings(db, appId), ...patch };
  db.prepare(`INSERT INTO app_tls (app_id, acm, redirect_https, hsts, acm_status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (app_id) DO UPDATE SET acm = excluded.acm, redirect_https = excluded.redirect_https, hsts = excluded.hsts,
    acm_status = excluded.acm_status, updated_at = excluded.updated_at`)
    .run(appId, next.acm ? 1 : 0, next.redirectHttps ? 1 : 0, next.hsts ? 1 : 0, JSON.stringify(next.acmStatus), now());
  return next;
}
