// Automatic certificates (Heroku's ACM) with ACME HTTP-01: for every custom domain of an app
// with ACM on, order a certificate when it has none valid for 30 more days. The CA fetches
// the challenge from the router, which reads the key authorization stored here in Redis.
// One certificate per domain, so a domain that fails does not hold back the others.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import acme from 'acme-client';
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { createKeyedMutex } from '../../common/keyed-mutex.ts';
import { acmeChallengeKey } from '../../common/redis-keys.ts';
import { hostMatches } from '../../common/x509.ts';
import { listApps } from '../store/apps.ts';
import { httpsSettings, listCerts, removeAcmeCertsFor, updateHttpsSettings } from '../store/certs.ts';
import type { Db } from '../store/db.ts';
import { listDomains } from '../store/domains.ts';
import type { CertService } from './certs.ts';
import { errorMessage } from '../../common/errors.ts';

const RENEW_BEFORE_MS = 30 * 86_400_000;

/** An app's TLS services as the API uses them. */
export interface TlsServices {
  certs: CertService;
  /** Absent: ACM can be switched on, but nothing orders certificates (API tests). */
  acme: AcmeService | null;
}

export interface AcmeService {
  /**
   * Orders what the app's domains lack; resolves when done (statuses are in the store).
   * A domain that failed within the last hour is skipped unless forced (CA rate limits).
   */
  refresh(appId: string, opts?: { force?: boolean }): Promise<void>;
  /** refresh() for every app with ACM on. */
  runOnce(): Promise<void>;
  /** runOnce() in the background; calls while one runs cause one more run after it. */
  kick(): void;
  stop(): void;
}

export function createAcmeService(deps: {
  db: Db; redis: Redis; config: Config; certs: CertService; log: (line: string) => void;
  /** Renewal check period (default 12 h); 0: no timer. */
  intervalMs?: number;
}): AcmeService {
  const { db, redis, config, certs, log } = deps;
  const lock = createKeyedMutex();
  if (config.acmeCaFile) {
    // Trust the test CA (pebble) for the directory's HTTPS, besides the usual roots.
    acme.axios.defaults.httpsAgent = new https.Agent({ ca: [...tls.rootCertificates, fs.readFileSync(config.acmeCaFile, 'utf8')] });
  }
  let client: acme.Client | null = null;

  const getClient = async (): Promise<acme.Client> => {
    if (client) return client;
    const dir = path.join(config.dataDir, 'acme');
    const keyFile = path.join(dir, 'account.key');
    if (!fs.existsSync(keyFile)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(keyFile, await acme.crypto.createPrivateEcdsaKey(), { mode: 0o600 });
    }
    client = new acme.Client({ directoryUrl: config.acmeDirectory, accountKey: fs.readFileSync(keyFile), backoffAttempts: 10, backoffMin: 200, backoffMax: 2000 });
    return client;
  };

  const setStatus = (appId: string, domain: string, status: string, error: string | null): void => {
    const s = httpsSettings(db, appId);
    updateHttpsSettings(db, appId, { acmStatus: { ...s.acmStatus, [domain]: { status, error, updated_at: new Date().toISOString() } } });
  };

  const needsCert = (appId: string, domain: string): boolean => !listCerts(db, appId).some((c) =>
    (JSON.parse(c.domains) as string[]).some((n) => hostMatches(n, domain)) && Date.parse(c.not_after) - Date.now() > RENEW_BEFORE_MS);

  const issue = async (appId: string, domain: string): Promise<void> => {
    setStatus(appId, domain, 'pending', null);
    try {
      const c = await getClient();
      const [key, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, await acme.crypto.createPrivateEcdsaKey());
      const chain = await c.auto({
        csr,
        email: config.acmeEmail || undefined,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        skipChallengeVerification: true, // the CA checks; our own resolver may not see public DNS
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          await redis.set(acmeChallengeKey(config.redisPrefix, challenge.token), keyAuthorization, 'EX', 600);
        },
        challengeRemoveFn: async (_authz, challenge) => {
          await redis.del(acmeChallengeKey(config.redisPrefix, challenge.token));
        },
      });
      removeAcmeCertsFor(db, appId, domain);
      await certs.add(appId, chain, key.toString(), 'acme');
      setStatus(appId, domain, 'cert issued', null);
      log(`acme: certificate issued for ${domain}`);
    } catch (err) {
      const message = errorMessage(err);
      setStatus(appId, domain, 'failing', message);
      log(`acme: ${domain}: ${message}`);
    }
  };

  const refresh = (appId: string, opts: { force?: boolean } = {}): Promise<void> => lock.run(appId, async () => {
    if (!httpsSettings(db, appId).acm) return;
    for (const d of listDomains(db, appId)) {
      const last = httpsSettings(db, appId).acmStatus[d.hostname];
      const backingOff = last?.status === 'failing' && Date.now() - Date.parse(last.updated_at) < 3_600_000;
      if (needsCert(appId, d.hostname) && (opts.force || !backingOff)) await issue(appId, d.hostname);
      else if (!httpsSettings(db, appId).acmStatus[d.hostname]) setStatus(appId, d.hostname, 'cert issued', null);
    }
  });

  const runOnce = async (): Promise<void> => {
    for (const app of listApps(db)) await refresh(app.id);
    await certs.publish(); // expired certificates drop out
  };
  const timer = deps.intervalMs === 0 ? null : setInterval(() => { runOnce().catch((err: unknown) => log(`acme: ${String(err)}`)); }, deps.intervalMs ?? 12 * 3_600_000);
  timer?.unref();

  let running: Promise<void> | null = null;
  let again = false;
  const kick = (): void => {
    if (running) { again = true; return; }
    running = runOnce().catch((err: unknown) => log(`acme: ${String(err)}`)).finally(() => {
      running = null;
      if (again) { again = false; kick(); }
    });
  };

  return { refresh, runOnce, kick, stop: () => { if (timer) clearInterval(timer); } };
}
