// Starting without Redis, Redis arriving later, and close() leaving nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRouter } from './index.ts';
import { deadPort, REDIS_URL, request, route, startBackend, tableWriter, waitFor } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

test('without Redis the router starts with an empty table, serves apply()d routes, and closes', async () => {
  const backend = await startBackend('a');
  const logs: string[] = [];
  const started = Date.now();
  const router = await startRouter({ config: testConfig({ redisUrl: `redis://127.0.0.1:${await deadPort()}/0` }), log: (l) => logs.push(l) });
  try {
    assert.ok(Date.now() - started < 2000, 'did not wait for Redis');
    assert.deepEqual(router.table(), { version: 0, apps: [] });
    assert.ok(logs.some((l) => /ECONNREFUSED/.test(l)));
    assert.equal((await request(router.port, { host: 'hello.localhost' })).status, 404);
    router.apply({ version: 1, apps: [route('hello', [backend.backend()])] });
    assert.equal((await request(router.port, { host: 'hello.localhost' })).status, 200);
  } finally {
    await router.close();
    await backend.close();
  }
});

test('when Redis comes up later the router loads the table and follows changes', async () => {
  const port = await deadPort();
  const config = testConfig({ redisUrl: `redis://127.0.0.1:${port}/0` });
  const backend = await startBackend('a');
  const router = await startRouter({ config, log: () => {} });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paas-router-redis-'));
  const redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const exited = new Promise((r) => redisServer.once('exit', r));
  const redis = new Redis(config.redisUrl, { retryStrategy: () => 20 });
  redis.on('error', () => {});
  try {
    await waitFor(() => redis.status === 'ready', 'redis-server up', 5000);
    const writer = tableWriter(redis, config.redisPrefix);
    // The controller's way: key, then message. Whether the router reads the key on connecting
    // or gets the message after subscribing, it must end up with this table.
    await writer.publish({ version: 3, apps: [route('hello', [backend.backend()])] });
    await waitFor(() => router.table().version === 3, 'table loaded after Redis came up', 8000);
    assert.equal((await request(router.port, { host: 'hello.localhost' })).status, 200);
    await writer.publish({ version: 4, apps: [] });
    await waitFor(() => router.table().version === 4, 'published change', 8000);
  } finally {
    redis.disconnect();
    await router.close();
    redisServer.kill();
    await exited;
    await rm(dir, { recursive: true, force: true });
    await backend.close();
  }
});

test('close() frees the port and every client, upstream and websocket connection', async () => {
  const backend = await startBackend('a');
  const redis = new Redis(REDIS_URL);
  const router = await startRouter({ config: testConfig(), redis, log: () => {} });
  router.apply({ version: 1, apps: [route('hello', [backend.backend()])] });

  // A keep-alive client connection, idle after its request.
  const agent = new http.Agent({ keepAlive: true });
  const kept = await new Promise<Socket>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: router.port, agent, headers: { host: 'hello.localhost' } }, (res) => {
      const socket = res.socket as Socket;
      res.resume();
      res.on('end', () => resolve(socket));
    }).on('error', reject);
  });
  // An open websocket.
  const ws = await new Promise<Socket>((resolve, reject) => {
    http.request({ host: '127.0.0.1', port: router.port, agent: false, headers: { host: 'hello.localhost', connection: 'Upgrade', upgrade: 'websocket' } })
      .on('upgrade', (_res, socket: Socket) => resolve(socket)).on('error', reject).end();
  });
  ws.on('error', () => {});
  assert.ok(await backend.connections() >= 2, 'upstream keep-alive and websocket connections are open');

  const wsClosed = new Promise((r) => ws.once('close', r));
  const keptClosed = new Promise((r) => kept.once('close', r));
  const closing = router.close();
  assert.equal(router.close(), closing, 'close() is idempotent');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closing, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('close() hung')), 3000); })]);
  clearTimeout(timer);
  await Promise.all([wsClosed, keptClosed]);
  await waitFor(async () => (await backend.connections()) === 0, 'backend connections closed');
  const refused = await new Promise<boolean>((resolve) => {
    net.connect(router.port, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); resolve(false); }).once('error', () => resolve(true));
  });
  assert.ok(refused, 'port no longer accepts connections');
  assert.equal(redis.status, 'ready', 'a Redis connection passed in is left to its owner');

  agent.destroy();
  redis.disconnect();
  await backend.close();
});

test('startRouter rejects when the port is taken, leaving nothing open', async () => {
  // Sockets and servers of this process, by kind: the failed start must add none (its own
  // Redis connections, admin listener, workers' ports are all closed again).
  const handles = (): string => JSON.stringify(process.getActiveResourcesInfo().filter((r) => /TCP|Pipe|Process/.test(r)).sort());
  const blocker = http.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const before = handles();
  await assert.rejects(startRouter({ config: testConfig({ routerPort: port }), log: () => {} }), /EADDRINUSE/);
  await waitFor(() => handles() === before, `no handle left open: ${before} before, now ${handles()}`);
  await new Promise((r) => blocker.close(r));
});
