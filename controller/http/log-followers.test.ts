// Many clients following logs cost the platform one Redis connection, not one each: an attacker
// with a token and a loop of `paas logs --tail` could otherwise exhaust Redis' connections. The
// controller runs on a Redis of this test's own, so its client count is exact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import request from 'supertest';
import { appendAppLog } from '../../common/app-log.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { startPrivateRedis, type PrivateRedis } from '../../test/helpers/private-redis.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { nullRegistry as registry } from './api.test-support.ts';

const FOLLOWERS = 40;
let server: PrivateRedis;
let ctl: ControllerHandle;
let redis: Redis;
let config: ReturnType<typeof testConfig>;

before(async () => {
  server = await startPrivateRedis();
  config = testConfig({ redisUrl: server.url });
  redis = new Redis(server.url);
  ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), registry, log: () => undefined });
  await request(ctl.server).post('/apps').set('authorization', `Bearer ${readAdminToken(config)}`).send({ name: 'tailed' }).expect(201);
});
after(async () => { await ctl.close(); redis.disconnect(); await server.destroy(); removeDataDir(config); });

const clients = async (): Promise<number> => String(await redis.client('LIST')).trim().split('\n').length;

test(`${FOLLOWERS} clients following an app's log share one Redis connection, and each gets every line`, async () => {
  const before = await clients();
  const received = Array.from({ length: FOLLOWERS }, () => '');
  const requests: http.ClientRequest[] = [];
  await Promise.all(received.map((_, i) => new Promise<void>((resolve, reject) => {
    const req = http.get(`${ctl.url}/apps/tailed/log-stream?tail=true&source=paas&lines=0`, {
      agent: false, headers: { authorization: `Bearer ${readAdminToken(config)}` },
    }, (res) => {
      assert.equal(res.statusCode, 200);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { received[i] += chunk; });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
    requests.push(req);
  })));
  try {
    await appendAppLog(redis, config.redisPrefix, 'tailed', { source: 'paas', dyno: 'api', line: 'hello followers' });
    const deadline = Date.now() + 10_000;
    while (received.some((r) => !r.includes('hello followers')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.filter((r) => r.includes('hello followers')).length, FOLLOWERS);
    const added = (await clients()) - before;
    assert.ok(added <= 1, `${added} more Redis connections for ${FOLLOWERS} followers`);
  } finally {
    for (const req of requests) req.destroy();
  }
});

test('a follower that stops reading is ended past a bound instead of being buffered without end', async () => {
  let received = 0;
  let ended = false;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${ctl.url}/apps/tailed/log-stream?tail=true&source=paas&lines=0`, {
      agent: false, headers: { authorization: `Bearer ${readAdminToken(config)}` },
    }, resolve).on('error', reject);
  });
  res.pause();
  // 16 MiB of log lines the client does not read.
  const line = 'z'.repeat(8 * 1024);
  for (let i = 0; i < 2048; i += 64) {
    const batch = redis.pipeline();
    for (let j = 0; j < 64; j++) batch.xadd(`${config.redisPrefix}:applog:tailed`, 'MAXLEN', '~', '2000', '*', 'time', new Date().toISOString(), 'source', 'paas', 'dyno', 'api', 'line', line);
    await batch.exec();
  }
  await new Promise((r) => setTimeout(r, 1000));
  res.on('data', (chunk: Buffer) => { received += chunk.length; });
  res.on('end', () => { ended = true; });
  res.resume();
  const deadline = Date.now() + 15_000;
  while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  res.destroy();
  assert.equal(ended, true, 'the server ended the response');
  assert.ok(received < 12 * 1024 * 1024, `${received} bytes were held for the client`);
});
