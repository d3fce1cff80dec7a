// sync() resolves only once the table is in effect: the router uses it and has finished the
// requests it had in flight to the backends that left it. Real router, Redis and SQLite; the
// scheduler is a stub whose dynos point at backends of this test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../common/config.ts';
import { routerAckKey, routerSetKey } from '../../common/redis-keys.ts';
import { startRouter, type RouterHandle } from '../../router/index.ts';
import { request } from '../../router/router.test-support.ts';
import type { Dyno, Scheduler } from '../scheduler/types.ts';
import { setAppSettings } from '../store/app-settings.ts';
import { insertApp } from '../store/apps.ts';
import { openDb, type Db } from '../store/db.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { insertConfig } from '../store/configs.ts';
import { createUser } from '../store/users.ts';
import { createRoutePublisher, type RoutePublisher } from './route-publisher.ts';

let dir: string;
let db: Db;
let redis: Redis;
let config: Config;
let router: RouterHandle;
let publisher: RoutePublisher;
let dynos: Dyno[] = [];
const servers: http.Server[] = [];
const logs: string[] = [];

/** When each backend last started sending its answer. */
const answeredAt = new Map<string, number>();
/** A backend answering its name after delayMs. */
async function backend(name: string, delayMs: number): Promise<number> {
  const server = http.createServer((_req, res) => { setTimeout(() => { answeredAt.set(name, Date.now()); res.end(name); }, delayMs); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}
const dyno = (port: number): Dyno => ({
  id: String(port), app: 'hello', name: 'web.1', type: 'web', release: 1, state: 'up', host: '127.0.0.1', port, startedAt: null, node: null,
});

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-routes-'));
  config = { ...loadConfig({ PAAS_DATA_DIR: dir }), redisUrl: loadConfig().redisUrl, redisPrefix: `paastest-${randomBytes(4).toString('hex')}`, routerPort: 0 };
  db = openDb(path.join(dir, 'paas.db'));
  const app = insertApp(db, 'hello', createUser(db, 'a@example.com', true).id);
  setReleaseStatus(db, insertRelease(db, { appId: app.id, buildId: null, configId: insertConfig(db, app.id, {}).id, description: 'v1', userId: null }).id, 'succeeded');
  setAppSettings(db, app.id, { drainGraceSec: 5 });
  redis = new Redis(config.redisUrl);
  const scheduler = { list: async () => dynos } as unknown as Scheduler;
  publisher = createRoutePublisher({ db, redis, scheduler, config, ackTimeoutMs: 500, log: (l) => logs.push(l) });
  router = await startRouter({ config, log: () => {} });
});

after(async () => {
  await router.close();
  for (const s of servers) { s.closeAllConnections(); s.close(); }
  const keys = await redis.keys(`${config.redisPrefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sync() waits until the router uses the new table and finished its requests to the backend that left', async () => {
  const oldPort = await backend('old', 600);
  const newPort = await backend('new', 0);
  dynos = [dyno(oldPort)];
  await publisher.sync();
  assert.deepEqual(router.table().apps[0].backends.map((b) => b.port), [oldPort], 'in use when sync() resolved');

  answeredAt.delete('old');
  const slow = request(router.port, { host: 'hello.localhost' });
  await new Promise((r) => setTimeout(r, 100));
  dynos = [dyno(newPort)];
  const t0 = Date.now();
  await publisher.sync();
  const syncedAt = Date.now();
  assert.deepEqual(router.table().apps[0].backends.map((b) => b.port), [newPort]);
  assert.ok(syncedAt - t0 >= 400, `sync() returned after ${syncedAt - t0} ms, with a request still in flight to the old backend`);
  assert.equal((await slow).body, 'old');
  // Order, not time: the old backend had sent its answer before sync() resolved.
  const answered = answeredAt.get('old');
  assert.ok(answered !== undefined && answered <= syncedAt, 'the request had finished when sync() resolved');
  assert.deepEqual(logs, []);
});

test('sync() gives up on a router that does not report the table after the ack timeout', async () => {
  // A router that registered and then hung: its key says an old version.
  await redis.multi().set(routerAckKey(config.redisPrefix, 'hung'), JSON.stringify({ version: 1, draining: {} }), 'PX', 5000)
    .sadd(routerSetKey(config.redisPrefix), 'hung').exec();
  const t0 = Date.now();
  await publisher.sync();
  const waited = Date.now() - t0;
  assert.ok(waited >= 450, `waited for it (the ack timeout), ${waited} ms`);
  assert.match(logs.at(-1) ?? '', /1 router\(s\) did not report route table/);
  // Once its key expired (or was removed) it no longer counts (no new complaint), and leaves the set.
  await redis.del(routerAckKey(config.redisPrefix, 'hung'));
  const complaints = logs.length;
  await publisher.sync();
  assert.equal(logs.length, complaints, logs.slice(complaints).join('\n'));
  assert.equal(await redis.sismember(routerSetKey(config.redisPrefix), 'hung'), 0);
});
