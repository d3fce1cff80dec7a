// Certificates of apps: checks uploads, and publishes the bundle the router serves over HTTPS
// (common/tls.ts). A certificate only ever answers for the app's own custom domains that it
// covers, so an upload cannot take over another app's hostname. Keys are never logged.
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import type { CertBundle, SniCertificate } from '../../common/tls.ts';
import { certBundleKey, certChannel } from '../../common/redis-keys.ts';
import { certificateInfo, hostMatches, keyMatches } from '../../common/x509.ts';
import { addCert, listCerts, type CertRow, type CertSource } from '../store/certs.ts';
import type { Db } from '../store/db.ts';
import { listDomains } from '../store/domains.ts';

export interface CertService {
  /** Validates and stores a certificate chain + key for an app, then publishes. */
  add(appId: string, chainPem: unknown, keyPem: unknown, source?: CertSource): Promise<CertRow>;
  /** Hostnames of the app a stored certificate answers for. */
  servedHosts(row: CertRow): string[];
  /** Recomputes and publishes the bundle if it changed (or always with force). */
  publish(force?: boolean): Promise<void>;
}

export function createCertService(deps: { db: Db; redis: Redis; config: Config }): CertService {
  const { db, redis, config } = deps;
  let last = '';

  const servedHosts = (row: CertRow): string[] => {
    if (Date.parse(row.not_after) <= Date.now()) return [];
    const names = JSON.parse(row.domains) as string[];
    return listDomains(db, row.app_id).map((d) => d.hostname.toLowerCase()).filter((h) => names.some((n) => hostMatches(n, h)));
  };

  const publish = async (force = false): Promise<void> => {
    // Newest first: a renewed certificate wins over the one it replaces.
    const rows = listCerts(db).sort((a, b) => b.not_after.localeCompare(a.not_after));
    const certs: SniCertificate[] = rows.map((r) => ({ id: r.id, hosts: servedHosts(r), cert: r.cert_pem, key: r.key_pem })).filter((c) => c.hosts.length);
    const body = JSON.stringify(certs);
    if (!force && body === last) return;
    const bundle: CertBundle = { version: Date.now(), certs };
    await redis.set(certBundleKey(config.redisPrefix), JSON.stringify(bundle));
    await redis.publish(certChannel(config.redisPrefix), String(bundle.version));
    last = body;
  };

  return {
    servedHosts,
    publish,
    async add(appId, chainPem, keyPem, source = 'uploaded') {
      if (typeof chainPem !== 'string' || typeof keyPem !== 'string') throw new InvalidParamsError('certificate_chain and private_key (PEM strings) are required.');
      let info;
      try {
        info = certificateInfo(chainPem);
      } catch {
        throw new InvalidParamsError('certificate_chain is not a PEM certificate.');
      }
      if (!keyMatches(chainPem, keyPem)) throw new InvalidParamsError('private_key is not a PEM private key matching the certificate.');
      if (info.notAfter.getTime() <= Date.now()) throw new InvalidParamsError(`The certificate expired on ${info.notAfter.toISOString()}.`);
      if (info.hosts.length === 0) throw new InvalidParamsError('The certificate names no DNS host.');
      const row = addCert(db, {
        appId, source, domains: info.hosts, certPem: chainPem, keyPem, issuer: info.issuer.replace(/\n/g, ', '),
        notBefore: info.notBefore, notAfter: info.notAfter,
      });
      await publish();
      return row;
    },
  };
}

/**
 * A route publisher that also publishes the certificate bundle and lets ACME look at new
 * domains: every change that can alter which hostnames an app has goes through sync().
 */
export function withCertificates<T extends { sync(): Promise<R> }, R>(routes: T, certs: CertService, onSynced?: () => void): T {
  return {
    ...routes,
    async sync() {
      const table = await routes.sync();
      await certs.publish();
      onSynced?.();
      return table;
    },
  };
}
