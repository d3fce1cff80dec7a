// A whole platform as an operator runs it, for fault tests: bin/paas-router.ts and bin/paasd.ts
// as separate real processes (so either can be killed with SIGKILL and started again), on real
// Docker, Redis and registry, with its own data dir, fixed free ports, Redis prefix and the
// `paastest` label. Redis and the registry may be private ones the test can stop.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { loadConfig } from '../../common/config.ts';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { commitFiles, run, tempDir, userEnv, type Run } from './git.ts';
import { httpGet, type HttpResult } from './platform.ts';
import { spawnPlatformProcess, waitUntil, type PlatformProcess } from './platform-process.ts';
import { removeRedisKeys } from './redis-keys.ts';
import { runningRouterPid } from '../../router/serve.ts';
import { errorMessage } from '../../common/errors.ts';

export interface FaultPlatformOptions {
  redisUrl?: string;
  registry?: string;
  /** More PAAS_* settings for paasd (and the router). */
  env?: Record<string, string>;
  /** Docker label of its containers (default `paastest`, which the test runner cleans up). */
  label?: string;
}

export interface FaultPlatform {
  dataDir: string;
  label: string;
  apiUrl: string;
  routerPort: number;
  prefix: string;
  registry: string;
  adminToken: string;
  /** A user's environment for git and the CLI (own HOME with ~/.netrc for the API). */
  userEnv: NodeJS.ProcessEnv;
  paasd(): PlatformProcess;
  /** The router process the platform started (paasd may have started another since: routerPid). */
  router(): PlatformProcess;
  /** Pid of the live router supervisor (its pid file), or null. */
  routerPid(): number | null;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Creates an app and pushes `server.js` answering `body` to it (and `extra` files: a
   *  Dockerfile makes it a Dockerfile app); resolves with the push. */
  deploy(app: string, body: string, extra?: Record<string, string>): Promise<Run>;
  /** Commits a version answering `body` and pushes it; never rejects (a failure is a Run with code -1). */
  pushVersion(app: string, body: string, extra?: Record<string, string>): Promise<Run>;
  viaRouter(app: string, path?: string): Promise<HttpResult>;
  killPaasd(): Promise<void>;
  startPaasd(): Promise<void>;
  /** Stops paasd cleanly (SIGTERM) and starts it with these settings on top of the usual ones. */
  restartPaasd(env: Record<string, string>): Promise<void>;
  redisUrl: string;
  /** Read-only view of the platform's SQLite database. */
  query<T>(sql: string, ...params: Array<string | number>): T[];
  stop(): Promise<void>;
}

/** A Node.js web app answering `body` on every path. */
export const appFiles = (body: string): Record<string, string> => ({
  'package.json': JSON.stringify({ name: 'fault-app', version: '1.0.0', scripts: { start: 'node server.js' } }),
  'server.js': `require('http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(process.env.PORT);\n`,
});

export async function startFaultPlatform(opts: FaultPlatformOptions = {}): Promise<FaultPlatform> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-fault-'));
  const [apiPort, routerPort] = [await freePort(), await freePort()];
  const prefix = `paastest-${randomBytes(4).toString('hex')}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const label = opts.label ?? 'paastest';
  // The shared Redis as the test runner knows it (its password file included).
  const redisUrl = opts.redisUrl ?? loadConfig().redisUrl;
  const registry = opts.registry ?? process.env.PAAS_REGISTRY ?? '127.0.0.1:5000';
  const env: Record<string, string> = {
    PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(apiPort), PAAS_API_URL: apiUrl, PAAS_HTTP_PORT: String(routerPort),
    PAAS_HTTPS_PORT: '-1', PAAS_RENDEZVOUS_PORT: '0', PAAS_ROUTER_ADMIN_PORT: '-1', PAAS_ROUTER_WORKERS: '2', PAAS_REDIS_URL: redisUrl,
    PAAS_REDIS_PREFIX: prefix, PAAS_REGISTRY: registry, PAAS_LABEL: label, PAAS_DOMAIN: 'localhost',
    PAAS_BOOT_TIMEOUT: '30', PAAS_DRAIN_GRACE: '2', PAAS_ROUTER_KEEPER: '1', PAAS_BUILD_CONCURRENCY: '2', PAAS_ALLOW_LOCAL_BUILDPACKS: '1',
    ...opts.env,
  };
  const docker = new Dockerode({ socketPath: process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock' });
  const apps = new Set<string>();
  let adminToken = '';

  // Outputs of every process started, for diagnosis: PAAS_FAULT_LOGS=DIR keeps them there.
  const logDir = process.env.PAAS_FAULT_LOGS ? fs.mkdtempSync(path.join(process.env.PAAS_FAULT_LOGS, 'platform-')) : path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const router = spawnPlatformProcess('bin/paas-router.ts', env, path.join(logDir, 'router.log'));
  const pidFile = path.join(dataDir, 'router', 'router.pid');
  await waitUntil(() => fs.existsSync(pidFile), 'the router to start', 30_000, router);

  let paasd: PlatformProcess | null = null;
  const startPaasd = async (extra: Record<string, string> = {}): Promise<void> => {
    const proc = spawnPlatformProcess('bin/paasd.ts', { ...env, ...extra }, path.join(logDir, 'paasd.log'));
    fs.appendFileSync(path.join(logDir, 'paasd.log'), `--- paasd started (pid ${proc.pid}) at ${new Date().toISOString()}\n`);
    paasd = proc;
    await waitUntil(async () => {
      if (!adminToken && fs.existsSync(path.join(dataDir, 'admin.token'))) adminToken = fs.readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
      if (!adminToken) return false;
      const res = await fetch(`${apiUrl}/apps`, { headers: { authorization: `Bearer ${adminToken}` } }).catch(() => null);
      return res?.status === 200;
    }, 'paasd to answer', 60_000, proc);
  };
  await startPaasd();

  const home = tempDir('paas-fault-home-');
  fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login paas password ${adminToken}\n`, { mode: 0o600 });
  const user = userEnv(home, { PAAS_API_URL: apiUrl, PAAS_API_KEY: adminToken });
  const sources = new Map<string, string>();
  let pushes = 0;

  async function api<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${apiUrl}${p}`, {
      method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  function pushVersion(app: string, body: string, extra: Record<string, string> = {}): Promise<Run> {
    return commitAndPush(app, body, extra).catch((err: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(err) }));
  }

  async function commitAndPush(app: string, body: string, extra: Record<string, string>): Promise<Run> {
    let dir = sources.get(app);
    if (!dir) {
      dir = tempDir('paas-fault-src-');
      sources.set(app, dir);
    }
    // Every push is a new commit, even of a body pushed before (after a failed push).
    pushes++;
    await commitFiles(dir, { ...appFiles(body), 'push.txt': `${pushes}\n`, ...extra }, body, user);
    return run('git', ['push', `${apiUrl}/${app}.git`, 'master'], { cwd: dir, env: user });
  }

  return {
    dataDir, label, apiUrl, routerPort, prefix, registry,
    get adminToken() { return adminToken; },
    userEnv: user,
    paasd: () => paasd!,
    router: () => router,
    routerPid: () => runningRouterPid({ dataDir }),
    api,
    async deploy(app, body, extra) {
      const created = await api('POST', '/apps', { name: app });
      if (created.status !== 201) throw new Error(`apps:create ${app}: ${created.status} ${JSON.stringify(created.body)}`);
      apps.add(app);
      return pushVersion(app, body, extra);
    },
    pushVersion,
    viaRouter: (app, p = '/') => httpGet(routerPort, `${app}.localhost`, p),
    async killPaasd() {
      await paasd?.kill('SIGKILL');
    },
    startPaasd: () => startPaasd(),
    async restartPaasd(extra) {
      await paasd?.kill('SIGTERM');
      await startPaasd(extra);
    },
    redisUrl,
    query<T>(sql: string, ...params: Array<string | number>): T[] {
      const db = new DatabaseSync(path.join(dataDir, 'paas.db'), { readOnly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async stop() {
      if (paasd && paasd.child.exitCode === null && paasd.child.signalCode === null) {
        for (const app of apps) await api('DELETE', `/apps/${app}`).catch(() => undefined);
        await paasd.kill('SIGTERM');
      }
      await router.kill('SIGTERM');
      // A router paasd started after the first one died (router/keeper.ts).
      const later = runningRouterPid({ dataDir });
      if (later !== null) {
        process.kill(later, 'SIGTERM');
        await waitUntil(() => runningRouterPid({ dataDir }) !== later, 'the router paasd started to stop', 20_000).catch(() => process.kill(later, 'SIGKILL'));
      }
      const containers = await docker.listContainers({ all: true, filters: { label: [`${label}=1`] } });
      await Promise.allSettled(containers.filter((c) => apps.has(c.Labels[`${label}.app`])).map((c) => docker.getContainer(c.Id).remove({ force: true })));
      // The apps' images on this engine too: a paasd killed by the test destroyed nothing.
      if (apps.size > 0) {
        const repos = [...apps].map((app) => `${registry}/${app}`);
        const images = await docker.listImages({ filters: { reference: repos } }).catch(() => []);
        const tags = images.flatMap((img) => img.RepoTags ?? []).filter((tag) => repos.includes(tag.slice(0, tag.lastIndexOf(':'))));
        await Promise.allSettled(tags.map((tag) => docker.getImage(tag).remove({ force: true })));
      }
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', () => {});
      await redis.connect().then(() => removeRedisKeys(redis, `${prefix}:*`)).catch(() => undefined);
      redis.disconnect();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
      for (const dir of sources.values()) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
