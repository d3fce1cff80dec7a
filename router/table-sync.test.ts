// The route table follows Redis (key + pub/sub) with the router running all along.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Config } from '../common/config.ts';
import type { RouteTable } from '../common/routes.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { REDIS_URL, request, route, startBackend, tableWriter, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let config: Config;
let writer: ReturnType<typeof tableWriter>;
let router: RouterHandle;
let a: TestBackend;
let b: TestBackend;
const logs: string[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  config = testConfig();
  writer = tableWriter(redis, config.redisPrefix);
  [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  await writer.store({ version: 1, apps: [route('hello', [a.backend('web.1')])] });
  // The router makes its own connections from config.redisUrl.
  router = await startRouter({ config, log: (l) => logs.push(l) });
});

after(async () => {
  await router.close();
  await Promise.all([a.close(), b.close()]);
  await writer.cleanup();
  redis.disconnect();
});

const names = async (n: number): Promise<string[]> => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const reply = await request(router.port, { host: 'hello.localhost' });
    out.push(reply.status === 200 ? reply.json().name : String(reply.status));
  }
  return out.toSorted();
};

async function publish(table: RouteTable): Promise<void> {
  await writer.publish(table);
  await waitFor(() => router.table().version === table.version, `table v${table.version}`);
}

test('the stored table is in place when startRouter resolves', async () => {
  assert.equal(router.table().version, 1);
  assert.deepEqual(await names(2), ['a', 'a']);
});

test('published changes apply without restarting: add, change, remove backends and apps', async () => {
  const { server, port } = router;
  await publish({ version: 2, apps: [route('hello', [a.backend('web.1'), b.backend('web.2')])] });
  assert.deepEqual(await names(4), ['a', 'a', 'b', 'b']);

  await publish({ version: 3, apps: [route('hello', [b.backend('web.1')])] });
  assert.deepEqual(await names(2), ['b', 'b']);

  await publish({ version: 4, apps: [route('hello', [])] });
  assert.deepEqual(await names(1), ['503']);

  await publish({ version: 5, apps: [route('hello', [a.backend()], { hosts: ['hello.localhost', 'www.example.test'] })] });
  assert.equal((await request(router.port, { host: 'www.example.test' })).json().name, 'a');

  await publish({ version: 6, apps: [] });
  assert.deepEqual(await names(1), ['404']);
  assert.equal(router.server, server, 'same server object');
  assert.equal(router.port, port);
});

test('an older table is ignored, from Redis and from apply()', async () => {
  await publish({ version: 10, apps: [route('hello', [a.backend()])] });
  await writer.publish({ version: 9, apps: [] });
  await waitFor(() => logs.some((l) => /ignoring route table v9, older than v10/.test(l)), 'v9 ignored');
  router.apply({ version: 8, apps: [] });
  assert.ok(logs.some((l) => /ignoring route table v8, older than v10/.test(l)));
  assert.equal(router.table().version, 10);
  await publish({ version: 11, apps: [route('hello', [a.backend()]), route('other', [b.backend()])] });
  assert.deepEqual(await names(1), ['a']);
});

test('a malformed table is rejected and the current one kept', async () => {
  await redis.set(`${config.redisPrefix}:routes:table`, '{"version": 12, "apps": "nope"}');
  await redis.publish(`${config.redisPrefix}:routes:changed`, '12');
  await waitFor(() => logs.some((l) => /route table not loaded.*apps array/.test(l)), 'rejection logged');
  assert.equal(router.table().version, 11);
  assert.deepEqual(await names(1), ['a']);
});

test('after a Redis reconnect the key is re-read, so a missed message does not leave it stale', async () => {
  // Change the key without a message, then cut the router's connections (found by their name).
  await writer.store({ version: 20, apps: [route('hello', [b.backend()])] });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(router.table().version, 11, 'no message, no change yet');
  const list = (await redis.client('LIST')) as string;
  const ids = list.split('\n')
    .filter((line) => line.includes(` name=${config.redisPrefix}:router `))
    .map((line) => /^id=(\d+)/.exec(line)![1]);
  assert.equal(ids.length, 2, 'command and subscriber connections');
  for (const id of ids) await redis.client('KILL', 'ID', id);
  await waitFor(() => router.table().version === 20, 'table re-read after reconnect', 5000);
  assert.ok(logs.some((l) => /redis connection is back/.test(l)));
  assert.deepEqual(await names(1), ['b']);

  // And the subscription is back too.
  await publish({ version: 21, apps: [route('hello', [a.backend()])] });
  assert.deepEqual(await names(1), ['a']);
});
