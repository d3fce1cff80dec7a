// Multi-process mode: workers share the listeners, read the table from Redis, and the
// primary's /metrics adds up their counters.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Redis } from 'ioredis';
import { startRouterCluster, type RouterCluster } from './cluster.ts';
import { REDIS_URL, request, route, startBackend, tableWriter, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';
import { secureRequest, testPki } from './tls.test-support.ts';
import { publishDynoUsage } from '../common/dyno-usage.ts';
import { deleteRings, readRing } from '../common/metrics-ring.ts';
import { dynoUsageKey } from '../common/redis-keys.ts';

const config = testConfig();
let redis: Redis;
let backend: TestBackend;
let routers: RouterCluster;
let ca: string;

before(async () => {
  redis = new Redis(REDIS_URL);
  backend = await startBackend('a');
  await tableWriter(redis, config.redisPrefix).store({ version: 1, apps: [route('hello', [backend.backend()], { hosts: ['hello.paas.test'] })] });
  const pki = await testPki();
  ca = pki.ca.cert;
  routers = await startRouterCluster({
    config, workers: 2, admin: { port: 0 }, log: () => {}, history: true, historyFlushMs: 200,
    tls: { port: 0, defaultCert: await pki.issue(['*.paas.test']) },
  });
});

after(async () => {
  await routers?.close();
  await deleteRings(redis, config.redisPrefix, 'hello');
  await redis.del(dynoUsageKey(config.redisPrefix));
  await backend.close();
  await tableWriter(redis, config.redisPrefix).cleanup();
  redis.disconnect();
});

function metrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: routers.adminPort!, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('two workers serve HTTP and HTTPS on shared ports; /metrics adds up both', async () => {
  assert.equal(routers.workers(), 2);
  for (let i = 0; i < 20; i++) {
    assert.equal((await request(routers.port, { host: 'hello.paas.test' })).status, 200);
  }
  const s = await secureRequest(routers.httpsPort!, { servername: 'hello.paas.test', ca });
  assert.equal(s.status, 200);
  assert.equal(JSON.parse(s.body).headers['x-forwarded-proto'], 'https');
  await waitFor(async () => (await metrics()).includes('paas_router_requests_total{app="hello",code="2xx"} 21'), 'the summed counter', 3000);
  assert.match(await metrics(), /^paas_router_workers 2$/m);
  // Both workers' minute counts, merged in Redis: the stored history.
  await waitFor(async () => (await readRing(redis, config.redisPrefix, 'hello', 'router', 60, 0)).reduce((n, r) => n + Number(r.req ?? 0), 0) === 21, 'the minute history', 5000);
});

test('/metrics has per-dyno gauges from paasd\'s latest samples', async () => {
  await publishDynoUsage(redis, config.redisPrefix, [
    { app: 'hello', dyno: 'web.1', state: 'up', cpuPercent: 12.5, memory: 1048576, memoryLimit: 536870912, restarts: 2 },
    { app: 'hello', dyno: 'web.2', state: 'crashed', cpuPercent: null, memory: null, memoryLimit: null, restarts: 3 },
  ]);
  const text = await metrics();
  assert.match(text, /^paas_dyno_cpu_percent\{app="hello",dyno="web\.1"\} 12\.5$/m);
  assert.match(text, /^paas_dyno_memory_bytes\{app="hello",dyno="web\.1"\} 1048576$/m);
  assert.match(text, /^paas_dyno_memory_limit_bytes\{app="hello",dyno="web\.1"\} 536870912$/m);
  assert.match(text, /^paas_dyno_restarts_total\{app="hello",dyno="web\.2"\} 3$/m);
  assert.match(text, /^paas_dyno_state\{app="hello",dyno="web\.2",state="crashed"\} 1$/m);
  assert.doesNotMatch(text, /paas_dyno_cpu_percent\{app="hello",dyno="web\.2"\}/, 'no sample, no line');
});

test('a worker that dies is replaced', async () => {
  const pids = await new Promise<number[]>((resolve) => {
    import('node:cluster').then(({ default: cluster }) => resolve(Object.values(cluster.workers ?? {}).map((w) => w!.process.pid!)));
  });
  process.kill(pids[0], 'SIGKILL');
  await waitFor(() => routers.workers() === 1, 'the exit', 3000);
  await waitFor(() => routers.workers() === 2, 'the replacement', 5000);
  await waitFor(async () => (await request(routers.port, { host: 'hello.paas.test' }).catch(() => ({ status: 0 }))).status === 200, 'service', 3000);
});
