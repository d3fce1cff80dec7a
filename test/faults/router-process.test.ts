// The router as its own process tree (bin/paas-router.ts) under constant load: a killed worker
// is replaced and only requests in flight on it may fail; with Redis gone it keeps serving its
// last-known routes and certificates (replacement workers and a restarted router too) and
// resyncs when Redis is back; SIGHUP replaces the workers without a failed request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { certBundleKey, certChannel } from '../../common/redis-keys.ts';
import { request, route, startBackend, tableWriter, type TestBackend } from '../../router/router.test-support.ts';
import { presentedNames, testPki } from '../../router/tls.test-support.ts';
import { freePort } from '../helpers/free-port.ts';
import { describeLoad, startLoad } from '../helpers/load.ts';
import { childPids, spawnPlatformProcess, waitUntil, type PlatformProcess } from '../helpers/platform-process.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';

const PREFIX = 'paastest-routerproc';
const HOSTS = ['alpha.paas.test', 'beta.paas.test'];
const LANES = 4;
let redisServer: PrivateRedis;
let redis: Redis;
let dataDir: string;
let httpPort: number;
let httpsPort: number;
let router: PlatformProcess | null = null;
const backends: TestBackend[] = [];

async function startRouterProcess(): Promise<PlatformProcess> {
  const proc = spawnPlatformProcess('bin/paas-router.ts', {
    PAAS_DATA_DIR: dataDir, PAAS_HTTP_PORT: String(httpPort), PAAS_HTTPS_PORT: String(httpsPort), PAAS_ROUTER_ADMIN_PORT: '-1',
    PAAS_ROUTER_WORKERS: '2', PAAS_REDIS_URL: redisServer.url, PAAS_REDIS_PREFIX: PREFIX, PAAS_DOMAIN: 'paas.test',
  });
  const pidFile = path.join(dataDir, 'router', 'router.pid');
  await waitUntil(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() === String(proc.pid), 'the router to start', 20_000, proc);
  await waitUntil(() => childPids(proc.pid).length === 2, 'two workers', 5000, proc);
  return proc;
}

const answer = async (host: string): Promise<string> => {
  const r = await request(httpPort, { host });
  assert.equal(r.status, 200, `${host}: ${r.status} ${r.body}`);
  return r.json().name;
};

before(async () => {
  redisServer = await startPrivateRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-router-proc-'));
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  for (const name of ['a', 'b', 'c']) backends.push(await startBackend(name));
  const pki = await testPki();
  const shop = await pki.issue(['shop.example.test']);
  await tableWriter(redis, PREFIX).store({ version: 1, apps: [
    route('alpha', [backends[0].backend()], { hosts: [HOSTS[0], 'shop.example.test'] }),
    route('beta', [backends[1].backend()], { hosts: [HOSTS[1]] }),
  ] });
  await redis.set(certBundleKey(PREFIX), JSON.stringify({ version: 1, certs: [{ id: 'shop', hosts: ['shop.example.test'], ...shop }] }));
  await redis.publish(certChannel(PREFIX), '1');
  router = await startRouterProcess();
});

after(async () => {
  await router?.kill('SIGTERM');
  for (const b of backends) await b.close();
  redis?.disconnect();
  await redisServer?.destroy();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Kills one worker and waits for its replacement. */
async function killWorker(proc: PlatformProcess): Promise<void> {
  const before = childPids(proc.pid);
  process.kill(before[0], 'SIGKILL');
  await waitUntil(() => {
    const fresh = childPids(proc.pid).filter((p) => !before.includes(p));
    return fresh.length === 1 && proc.output().includes(`worker ${fresh[0]} ready`);
  }, 'a replacement worker', 10_000, proc);
}

test('a router worker killed with SIGKILL is replaced; at most the requests in flight on it fail', async () => {
  const load = startLoad({ port: httpPort, hosts: HOSTS, rate: 100, lanes: LANES, postEvery: 4, maxMs: 30_000 });
  await new Promise((r) => setTimeout(r, 1000));
  await killWorker(router!);
  await new Promise((r) => setTimeout(r, 1000));
  const stats = await load.stop();
  assert.ok(stats.requests > 200, describeLoad(stats));
  // Each lane has one request at a time: the killed worker held at most one per lane.
  assert.ok(stats.failed <= LANES * HOSTS.length, describeLoad(stats));
});

test('with Redis gone the router keeps its routes and certificates, in replacement workers too, and resyncs when Redis is back', async () => {
  const load = startLoad({ port: httpPort, hosts: HOSTS, rate: 100, lanes: LANES, postEvery: 4, maxMs: 60_000 });
  await redisServer.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  // Every worker now running was started while Redis was down: it knows only what the supervisor kept.
  await killWorker(router!);
  await killWorker(router!);
  for (let i = 0; i < 6; i++) assert.equal(await answer(HOSTS[i % 2]), i % 2 === 0 ? 'a' : 'b');
  assert.match(await presentedNames(httpsPort, 'shop.example.test'), /DNS:shop\.example\.test/);

  await redisServer.start();
  await tableWriter(redis, PREFIX).publish({ version: 2, apps: [
    route('alpha', [backends[0].backend()], { hosts: [HOSTS[0]] }),
    route('beta', [backends[2].backend()], { hosts: [HOSTS[1]] }),
  ] });
  await waitUntil(async () => (await answer(HOSTS[1])) === 'c', 'the router to follow the new table', 15_000, router!);
  const stats = await load.stop();
  assert.ok(stats.hosts[HOSTS[0]].ok > 100, describeLoad(stats));
  assert.ok(stats.failed <= 2 * LANES * HOSTS.length, describeLoad(stats));
});

test('a router restarted while Redis is down serves the routes and certificates it saved', async () => {
  await redisServer.stop('SIGKILL');
  assert.equal(await router!.kill('SIGTERM'), '0');
  router = await startRouterProcess();
  assert.equal(await answer(HOSTS[1]), 'c');
  assert.equal(await answer(HOSTS[0]), 'a');
  assert.match(await presentedNames(httpsPort, 'shop.example.test'), /DNS:shop\.example\.test/);
  const saved = fs.statSync(path.join(dataDir, 'router', 'state.json'));
  assert.equal(saved.mode & 0o777, 0o600);
  await redisServer.start();
});

test('SIGHUP replaces every worker without a failed request', async () => {
  const load = startLoad({ port: httpPort, hosts: HOSTS, rate: 100, lanes: LANES, postEvery: 4, maxMs: 30_000 });
  await new Promise((r) => setTimeout(r, 500));
  const before = childPids(router!.pid);
  process.kill(router!.pid, 'SIGHUP');
  await waitUntil(() => {
    const now = childPids(router!.pid);
    return now.length === 2 && now.every((p) => !before.includes(p));
  }, 'new workers', 20_000, router!);
  await new Promise((r) => setTimeout(r, 500));
  const stats = await load.stop();
  assert.equal(stats.failed, 0, describeLoad(stats));
  assert.ok(stats.requests > 100);
});
