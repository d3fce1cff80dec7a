// The router against real parts: backends on 127.0.0.1, Redis, node's http client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { AppRoute } from '../common/routes.ts';
import { startRouter, type AccessEntry, type RouterHandle } from './index.ts';
import { deadPort, REDIS_URL, request, route, startBackend, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

const REQUEST_ID = 'client-supplied-request-id-0001';
let redis: Redis;
let router: RouterHandle;
let a: TestBackend;
let b: TestBackend;
let dead: number;
let version = 0;
const access: AccessEntry[] = [];
const logs: string[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  [a, b, dead] = await Promise.all([startBackend('a'), startBackend('b'), deadPort()]);
  router = await startRouter({
    config: testConfig(), redis, upstreamTimeoutMs: 300,
    onAccess: (e) => access.push(e), log: (l) => logs.push(l),
  });
});

after(async () => {
  await router.close();
  await Promise.all([a.close(), b.close()]);
  redis.disconnect();
});

const setRoutes = (...apps: AppRoute[]): void => router.apply({ version: ++version, apps });
const deadBackend = () => ({ dyno: 'web.dead', host: '127.0.0.1', port: dead, release: 1 });

function assertPage(reply: { status: number; headers: http.IncomingHttpHeaders; body: string }, status: number, text: RegExp): void {
  assert.equal(reply.status, status);
  assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(reply.body, text);
  const id = reply.headers['x-request-id'];
  assert.ok(typeof id === 'string' && id.length >= 20);
  assert.ok(reply.body.includes(id), 'page shows the request id');
}

test('unknown host gets a 404 "No such app" page', async () => {
  setRoutes(route('hello', [a.backend()]));
  assertPage(await request(router.port, { host: 'nope.localhost' }), 404, /No such app/);
});

test('missing or malformed Host gets a 400', async () => {
  assertPage(await request(router.port, { setHost: false }), 400, /Bad request/);
  assertPage(await request(router.port, { host: 'bad host!' }), 400, /Bad request/);
});

test('an app without backends gets a 503 page', async () => {
  setRoutes(route('hello', []));
  assertPage(await request(router.port, { host: 'hello.localhost' }), 503, /Application unavailable[\s\S]*no running web processes/);
});

test('an app in maintenance gets a 503 maintenance page', async () => {
  setRoutes(route('hello', [a.backend()], { maintenance: true }));
  const seenBefore = a.seen.length;
  assertPage(await request(router.port, { host: 'hello.localhost' }), 503, /maintenance/);
  assert.equal(a.seen.length, seenBefore, 'the app was not contacted');
});

test('Host matching ignores case, port and trailing dot; absolute-form targets route by their host', async () => {
  setRoutes(route('hello', [a.backend()]));
  for (const host of ['HELLO.localhost', 'hello.localhost:8080', 'hello.localhost.']) {
    const reply = await request(router.port, { host });
    assert.equal(reply.status, 200, host);
  }
  const reply = await request(router.port, { host: 'nope.localhost', path: 'http://hello.localhost/abs?q=1' });
  assert.equal(reply.status, 200);
  assert.equal(reply.json().url, '/abs?q=1');
});

test('requests are spread round-robin over the backends', async () => {
  setRoutes(route('hello', [a.backend('web.1'), b.backend('web.2')]));
  const names = [];
  for (let i = 0; i < 6; i++) names.push((await request(router.port, { host: 'hello.localhost' })).json().name);
  assert.deepEqual(names.toSorted(), ['a', 'a', 'a', 'b', 'b', 'b']);
  assert.notEqual(names[0], names[1]);
});

test('the app sees X-Forwarded-*, Via, X-Request-Start and a generated X-Request-ID', async () => {
  setRoutes(route('hello', [a.backend()]));
  const before = Date.now();
  const reply = await request(router.port, { host: 'Hello.localhost:8080', path: '/p?x=1', headers: { 'x-request-id': 'short' } });
  const seen = reply.json().headers;
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-port'], '8080');
  assert.equal(seen['x-forwarded-host'], 'Hello.localhost:8080');
  assert.equal(seen.host, 'Hello.localhost:8080');
  assert.equal(seen.via, '1.1 paas');
  assert.match(seen['x-request-id'], /^[0-9a-f-]{36}$/);
  assert.equal(reply.headers['x-request-id'], seen['x-request-id']);
  const start = Number(/^t=(\d+)$/.exec(seen['x-request-start'])?.[1]);
  assert.ok(start >= before && start <= Date.now());
  assert.equal(reply.headers.via, '1.1 paas');
});

test('a well-formed client X-Request-ID is kept; a client\'s X-Forwarded-For is replaced by its address', async () => {
  setRoutes(route('hello', [a.backend()]));
  const reply = await request(router.port, {
    host: 'hello.localhost', headers: { 'x-request-id': REQUEST_ID, 'x-forwarded-for': '203.0.113.9' },
  });
  const seen = reply.json().headers;
  assert.equal(seen['x-request-id'], REQUEST_ID);
  assert.equal(reply.headers['x-request-id'], REQUEST_ID);
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-port'], '80');
});

test('hop-by-hop headers do not cross the router', async () => {
  setRoutes(route('hello', [a.backend()]));
  const reply = await request(router.port, {
    host: 'hello.localhost',
    headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=9', te: 'trailers', 'x-end': '2' },
  });
  const seen = reply.json().headers;
  assert.equal(seen['x-hop'], undefined);
  assert.equal(seen.te, undefined);
  assert.equal(seen['keep-alive'], undefined);
  assert.equal(seen['x-end'], '2');
  assert.equal(reply.headers['keep-alive'], 'timeout=5', "the router's own keep-alive hint, not the backend's (timeout=7)");
});

test('an idempotent request that cannot connect is retried once on another backend', async () => {
  setRoutes(route('hello', [deadBackend(), a.backend()]));
  for (let i = 0; i < 4; i++) {
    const reply = await request(router.port, { host: 'hello.localhost', method: 'PUT', path: `/r${i}`, body: `body-${i}` });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().name, 'a');
    assert.equal(reply.json().body, `body-${i}`);
  }
  for (let i = 0; i < 2; i++) {
    const reply = await request(router.port, { host: 'hello.localhost', path: `/g${i}` });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().url, `/g${i}`);
  }
  assert.ok(logs.some((l) => /web\.dead failed \(ECONNREFUSED\), retrying on a/.test(l)));
});

test('upstream connections are kept alive and reused', async () => {
  const c = await startBackend('c');
  try {
    setRoutes(route('hello', [c.backend()]));
    for (let i = 0; i < 5; i++) {
      const reply = await request(router.port, { host: 'hello.localhost' }); // the client itself closes each time
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.connection, 'close');
    }
    assert.equal(await c.connections(), 1);
    assert.equal(new Set(c.seen.map((r) => r.socket)).size, 1, 'one upstream socket served all five');
  } finally {
    await c.close();
  }
});

test('a refused connection: the request, POST too, goes to another backend (the app never saw it); that backend is left out for a while; with none left, a 502 page', async () => {
  // A dead backend of its own: the earlier test's one may still be ejected.
  setRoutes(route('hello', [{ ...deadBackend(), port: await deadPort() }, a.backend()]));
  const before = a.seen.length;
  for (let i = 0; i < 4; i++) {
    const reply = await request(router.port, { host: 'hello.localhost', method: 'POST', path: `/post-${i}`, body: `body ${i}` });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().body, `body ${i}`);
  }
  assert.deepEqual(a.seen.slice(before).map((r) => `${r.method} ${r.url}`), ['POST /post-0', 'POST /post-1', 'POST /post-2', 'POST /post-3'], 'each POST reached the app once');
  setRoutes(route('hello', [deadBackend()]));
  assertPage(await request(router.port, { host: 'hello.localhost' }), 502, /Bad gateway/);
  assertPage(await request(router.port, { host: 'hello.localhost', method: 'POST', body: 'x' }), 502, /Bad gateway/);
});

test('several dead backends (a lost node\'s dynos) are stepped over until one answers', async () => {
  const [d1, d2, d3] = await Promise.all([deadPort(), deadPort(), deadPort()]);
  const dead = (port: number, dyno: string) => ({ dyno, host: '127.0.0.1', port, release: 1 });
  // An app of its own per method, so round-robin starts at web.1: the first request meets web.1,
  // then (as the second pick) web.3, then web.2, before web.4 answers.
  const backends = [dead(d1, 'web.1'), dead(d2, 'web.2'), dead(d3, 'web.3'), a.backend('web.4')];
  setRoutes(route('multi-get', backends), route('multi-post', backends));
  for (const method of ['GET', 'POST']) {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(router.port, { host: `multi-${method.toLowerCase()}.localhost`, method, body: method === 'POST' ? 'x' : undefined })).status);
    assert.deepEqual(statuses, [200, 200, 200], method);
  }
});

test('a backend that sends nothing within the timeout gets a 504 page', async () => {
  setRoutes(route('hello', [a.backend()]));
  const started = Date.now();
  assertPage(await request(router.port, { host: 'hello.localhost', path: '/hang' }), 504, /Gateway timeout/);
  assert.ok(Date.now() - started >= 290);
  assert.equal((await request(router.port, { host: 'hello.localhost' })).status, 200, 'router still serves');
});

test('onAccess reports each request once, with app, dyno, status and bytes', async () => {
  setRoutes(route('hello', [a.backend('web.7')]));
  const id = 'access-log-request-id-000001';
  const reply = await request(router.port, { host: 'hello.localhost', path: '/logged?x=1', headers: { 'x-request-id': id } });
  await request(router.port, { host: 'unknown.localhost', headers: { 'x-request-id': `${id}-404` } });
  await waitFor(() => access.some((e) => e.requestId === `${id}-404`), 'access entries');
  const entries = access.filter((e) => e.requestId === id);
  assert.equal(entries.length, 1);
  const [entry] = entries;
  assert.deepEqual({ ...entry, durationMs: 0, connectMs: 0 }, {
    app: 'hello', dyno: 'web.7', method: 'GET', path: '/logged?x=1', status: 200,
    bytes: Buffer.byteLength(reply.body), durationMs: 0, requestId: id, host: 'hello.localhost', fwd: '127.0.0.1', protocol: 'http', connectMs: 0, code: undefined,
  });
  assert.ok(Number.isFinite(entry.durationMs) && entry.durationMs > 0, `a measured duration, not a default: ${entry.durationMs}`);
  const missing = access.find((e) => e.requestId === `${id}-404`);
  assert.equal(missing?.status, 404);
  assert.equal(missing?.app, null);
});

function openWebSocket(port: number, host: string): Promise<{ res: http.IncomingMessage; socket: Socket } | { status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, agent: false, path: '/ws',
      headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (res, socket: Socket) => resolve({ res, socket }));
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode ?? 0 }); });
    req.on('error', reject);
    req.end();
  });
}

test('websocket upgrades are proxied to the app and bytes flow both ways', async () => {
  setRoutes(route('hello', [b.backend()]));
  const opened = await openWebSocket(router.port, 'hello.localhost');
  assert.ok('socket' in opened, 'upgraded');
  const { res, socket } = opened;
  assert.equal(res.statusCode, 101);
  assert.equal(res.headers['x-backend'], 'b');
  const upstream = b.seen.at(-1)!;
  assert.equal(upstream.headers.upgrade, 'websocket');
  assert.equal(upstream.headers['x-forwarded-for'], '127.0.0.1');
  const echoed = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
  socket.write('ping through the router');
  assert.equal(await echoed, 'ping through the router');
  socket.destroy();
  await waitFor(() => access.some((e) => e.path === '/ws' && e.status === 101 && e.dyno === 'b'), 'websocket access entry');
});

test('websocket upgrades to an unknown host or a dead backend get error pages', async () => {
  setRoutes(route('hello', [deadBackend()]));
  assert.deepEqual(await openWebSocket(router.port, 'nope.localhost'), { status: 404 });
  assert.deepEqual(await openWebSocket(router.port, 'hello.localhost'), { status: 502 });
});

test('a websocket still open when the router closes does not keep anything alive', async () => {
  // A router of its own, closed while a websocket through it is open: close() must end the
  // upgraded socket (the client sees it close) and resolve.
  const own = await startRouter({ config: testConfig(), redis, upstreamTimeoutMs: 300, log: () => undefined });
  own.apply({ version: 1, apps: [route('hello', [a.backend()])] });
  const opened = await openWebSocket(own.port, 'hello.localhost');
  assert.ok('socket' in opened);
  opened.socket.on('error', () => {});
  const clientClosed = new Promise<void>((resolve) => opened.socket.once('close', () => resolve()));
  const bounded = <T>(p: Promise<T>, what: string): Promise<T> => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} within 10 s`)), 10_000).unref())]);
  await bounded(own.close(), 'close() resolves');
  await bounded(clientClosed, 'the client sees its websocket close');
  assert.ok(opened.socket.destroyed);
});
