// What the router tells the controller for draining (common/route-acks.ts): the table version
// it uses and the requests in flight to backends that left that table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { parseRouterAck, type RouterAck } from '../common/route-acks.ts';
import { routerAckKey, routerSetKey } from '../common/redis-keys.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { REDIS_URL, request, route, startBackend, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let router: RouterHandle;
let fast: TestBackend;
let slow: http.Server;
let slowPort: number;
const config = testConfig();

before(async () => {
  redis = new Redis(REDIS_URL);
  fast = await startBackend('fast');
  // Answers 400 ms after the request arrived.
  slow = http.createServer((_req, res) => { setTimeout(() => res.end('slow'), 400); });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  slowPort = (slow.address() as AddressInfo).port;
  router = await startRouter({ config, redis, log: () => {} });
});

after(async () => {
  await router.close();
  await fast.close();
  slow.closeAllConnections();
  await new Promise((r) => slow.close(r));
  await redis.del(routerSetKey(config.redisPrefix));
  redis.disconnect();
});

async function acks(): Promise<RouterAck[]> {
  const ids = await redis.smembers(routerSetKey(config.redisPrefix));
  const texts = ids.length ? await redis.mget(ids.map((id) => routerAckKey(config.redisPrefix, id))) : [];
  return texts.map(parseRouterAck).filter((a) => a !== null);
}

test('the router reports the table it uses, and what is in flight to backends that left it until they finish', async () => {
  const slowBackend = { dyno: 'web.1', host: '127.0.0.1', port: slowPort, release: 1 };
  router.apply({ version: 10, apps: [route('hello', [slowBackend])] });
  await waitFor(async () => (await acks()).some((a) => a.version === 10), 'table 10 reported');

  const answered = request(router.port, { host: 'hello.localhost' });
  await new Promise((r) => setTimeout(r, 50)); // it reached the slow backend
  router.apply({ version: 11, apps: [route('hello', [fast.backend('web.1')])] });
  await waitFor(async () => (await acks()).some((a) => a.version === 11), 'table 11 reported');
  const [during] = await acks();
  assert.deepEqual(during, { version: 11, draining: { [`127.0.0.1:${slowPort}`]: 1 } });

  // New requests go to the new backend; the one in flight finishes on the old one.
  assert.equal((await request(router.port, { host: 'hello.localhost' })).json().name, 'fast');
  const reply = await answered;
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'slow');
  await waitFor(async () => Object.keys((await acks())[0]?.draining ?? { x: 1 }).length === 0, 'drained reported', 2000);
});

test('a router that closes leaves the set of routers', async () => {
  const other = await startRouter({ config, redis, log: () => {} });
  await waitFor(async () => (await redis.scard(routerSetKey(config.redisPrefix))) === 2, 'two routers');
  await other.close();
  assert.equal(await redis.scard(routerSetKey(config.redisPrefix)), 1);
});
