// Metrics history against real parts: requests through a real router to a real backend,
// counted by two recorders (two router workers) into Redis; a real container's cgroup read by
// the dyno collector; read back as the API serves it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { dynoUsageKey, metricsKey } from '../../common/redis-keys.ts';
import { readDynoUsage } from '../../common/dyno-usage.ts';
import { deleteRings, readRing, writeRing } from '../../common/metrics-ring.ts';
import { startRouter, type RouterHandle } from '../../router/index.ts';
import { startMinuteRecorder, type MinuteRecorder } from '../../router/minute-metrics.ts';
import { REDIS_URL, request, route, startBackend, type TestBackend } from '../../router/router.test-support.ts';
import { testConfig } from '../../test/helpers/config.ts';
import type { Dyno } from '../scheduler/types.ts';
import { startDynoMetrics } from './dyno-metrics.ts';
import { readMetrics } from './metrics.ts';

const config = testConfig();
const prefix = config.redisPrefix;
let redis: Redis;
let router: RouterHandle;
let backend: TestBackend;
let workers: MinuteRecorder[];
let container = '';

before(async () => {
  redis = new Redis(REDIS_URL);
  backend = await startBackend('web.1');
  workers = [0, 1].map(() => startMinuteRecorder({ redis, prefix, flushMs: 60_000, log: () => undefined }));
  let n = 0;
  router = await startRouter({ config, redis, log: () => undefined, onAccess: (e) => workers[n++ % 2].record(e) });
  router.apply({ version: 1, apps: [route('shop', [backend.backend('web.1')])] });
});

after(async () => {
  await router.close();
  await Promise.all(workers.map((w) => w.close()));
  await backend.close();
  if (container) execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  await Promise.all(['shop', 'ring', 'cpu'].map((app) => deleteRings(redis, prefix, app)));
  await redis.del(dynoUsageKey(prefix));
  redis.disconnect();
});

test('requests through the router are kept per minute: counts by status class, bytes, latency percentiles', async () => {
  let bytes = 0;
  for (let i = 0; i < 10; i++) bytes += Buffer.byteLength((await request(router.port, { host: 'shop.localhost', path: `/r${i}` })).body);
  await request(router.port, { host: 'nobody.localhost' }); // no app: not stored under any
  await Promise.all(workers.map((w) => w.flush()));
  const m = await readMetrics(redis, prefix, 'shop', { step: 60, sinceMs: Date.now() - 5 * 60_000 });
  assert.equal(m.resolution, 60);
  assert.ok(m.points.length >= 5 && m.points.length <= 6, `one point a minute: ${m.points.length}`);
  const last = m.points.at(-1)!;
  assert.equal(last.requests, 10, 'both workers\' counts added up');
  assert.deepEqual(last.status, { '1xx': 0, '2xx': 10, '3xx': 0, '4xx': 0, '5xx': 0 });
  assert.equal(last.bytes, bytes);
  assert.ok(last.latency_ms.p50 !== null && last.latency_ms.p99 !== null && last.latency_ms.p50 <= last.latency_ms.p99);
  assert.ok(last.latency_ms.mean !== null && last.latency_ms.mean > 0);
  assert.equal(m.points[0].requests, 0, 'a minute without requests is a zero point');
  const tenMinutes = await readMetrics(redis, prefix, 'shop', { step: 600, sinceMs: Date.now() - 3600_000 });
  assert.equal(tenMinutes.points.at(-1)!.requests, 10, 'the 10-minute ring has them too');
});

test('a ring has a fixed number of slots: the same minute a day later takes the old slot', async () => {
  const now = Date.now();
  await writeRing(redis, prefix, 'ring', 'router', now - 86_400_000, { add: { req: 5 } });
  await writeRing(redis, prefix, 'ring', 'router', now - 86_400_000 + 60_000, { add: { req: 7 } });
  await writeRing(redis, prefix, 'ring', 'router', now, { add: { req: 1 } });
  assert.equal(await redis.hlen(metricsKey(prefix, 'ring', 'router', 60)), 2, 'a day-old minute was overwritten, not kept beside');
  const kept = await readRing(redis, prefix, 'ring', 'router', 60, 0);
  assert.deepEqual(kept.map((r) => r.req), [7, 1], 'the minute 23 h 59 min ago (still kept) and this one, oldest first');
});

test('the dyno collector reads a container\'s CPU and memory from its cgroup, and counts a restart', async () => {
  container = execFileSync('docker', ['run', '-d', '--label', 'paastest', '-m', '64m', '--cpus', '0.3', 'paas/busybox:test', 'sh', '-c', 'while :; do :; done'], { encoding: 'utf8' }).trim();
  let dynos: Dyno[] = [{ app: 'cpu', name: 'web.1', type: 'web', release: 1, state: 'up', host: null, port: null, startedAt: null, id: container, node: null }];
  const collector = startDynoMetrics({ scheduler: { list: async () => dynos }, redis, prefix, intervalMs: 3600_000, log: () => undefined });
  try {
    await collector.sample();
    await new Promise((r) => setTimeout(r, 1000));
    await collector.sample();
    const usage = collector.latest('cpu').get('web.1');
    assert.ok(usage?.cpuPercent != null && usage.cpuPercent > 5 && usage.cpuPercent < 60, `CPU near its 30 % quota: ${usage?.cpuPercent}`);
    assert.ok(usage.memory !== null && usage.memory > 0);
    assert.equal(usage.memoryLimit, 64 * 1024 * 1024);
    const shared = (await readDynoUsage(redis, prefix)).find((u) => u.app === 'cpu');
    assert.equal(shared?.cpuPercent, usage.cpuPercent, 'published for the router\'s /metrics');
    dynos = [{ ...dynos[0], id: 'f'.repeat(64), state: 'starting' }]; // replaced by a new container
    await collector.sample();
    const point = (await readMetrics(redis, prefix, 'cpu', { step: 60, sinceMs: Date.now() - 60_000 })).points.at(-1)!;
    assert.equal(point.dynos.length, 1);
    const [d] = point.dynos;
    assert.equal(d.name, 'web.1');
    assert.equal(d.state, 'starting');
    assert.equal(d.restarts, 1);
    assert.ok(d.cpu_percent !== null && d.cpu_percent > 5, `mean CPU of the minute: ${d.cpu_percent}`);
    assert.equal(d.memory_limit_bytes, 64 * 1024 * 1024);
  } finally {
    collector.close();
  }
});
