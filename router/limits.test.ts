// Client-side limits and metrics against real sockets: 413 for oversized bodies (declared and
// chunked), slow request heads and idle connections cut, and /metrics on the admin listener.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import { startRouter, type AccessEntry, type RouterHandle } from './index.ts';
import { REDIS_URL, request, route, startBackend, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let router: RouterHandle;
let backend: TestBackend;
const access: AccessEntry[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  backend = await startBackend('a');
  router = await startRouter({
    config: testConfig(), redis, log: () => {}, onAccess: (e) => access.push(e),
    limits: { maxBodyBytes: 1024, headersTimeoutMs: 400, keepAliveTimeoutMs: 300, idleTimeoutMs: 1500 },
    admin: { port: 0 },
  });
  router.apply({ version: 1, apps: [route('hello', [backend.backend()])] });
});

after(async () => {
  await router.close();
  await backend.close();
  redis.disconnect();
});

/** Opens a raw connection; resolves when the router closes it, with what it sent and how long it took. */
function rawExchange(write: (socket: net.Socket) => void, opts: { ignoreErrors?: boolean } = {}): Promise<{ data: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let data = '';
    const socket = net.connect(router.port, '127.0.0.1', () => write(socket));
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.on('close', () => resolve({ data, ms: Date.now() - started }));
    // A reset by the router also ends the exchange (close follows); otherwise it is a failure.
    socket.on('error', (err) => { if (!opts.ignoreErrors) reject(err); });
  });
}

test('a body declared larger than the limit gets a 413 page and never reaches the app', async () => {
  const seenBefore = backend.seen.length;
  const reply = await request(router.port, { host: 'hello.localhost', method: 'POST', body: 'x'.repeat(2000) });
  assert.equal(reply.status, 413);
  assert.match(reply.body, /Payload too large/);
  assert.equal(reply.headers.connection, 'close');
  assert.equal(backend.seen.length, seenBefore);
  const ok = await request(router.port, { host: 'hello.localhost', method: 'POST', body: 'x'.repeat(1000) });
  assert.equal(ok.status, 200);
  assert.equal(ok.json().body.length, 1000);
  await waitFor(() => access.some((e) => e.status === 413 && e.app === 'hello'), 'the access entry');
});

test('a chunked body that grows past the limit is cut with a 413', async () => {
  const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: router.port, method: 'POST', path: '/', agent: false, headers: { host: 'hello.localhost', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write('x'.repeat(600));
    setTimeout(() => req.end('y'.repeat(600)), 50);
  });
  assert.equal(reply.status, 413);
  assert.match(reply.body, /Payload too large/);
  // Small chunked bodies still pass.
  const ok = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: router.port, method: 'POST', path: '/', agent: false, headers: { host: 'hello.localhost', 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end('z'.repeat(500));
  });
  assert.equal(ok, 200);
});

test('slowloris: a request head that trickles in is cut after headersTimeout', async () => {
  let timer: NodeJS.Timeout | undefined;
  let exchange: { data: string; ms: number };
  try {
    exchange = await rawExchange((socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: hello.localhost\r\n');
      let n = 0;
      // A write racing the router's close may fail: the close is what is measured.
      socket.on('error', () => {});
      timer = setInterval(() => { if (!socket.destroyed) socket.write(`X-Slow-${n++}: 1\r\n`); }, 100);
    }, { ignoreErrors: true });
  } finally {
    clearInterval(timer);
  }
  const { data, ms } = exchange;
  // The cut comes at the first connection check after headersTimeout (400 ms, checked every
  // 100 ms). How soon is for the benches: the bound only fails a router that never cuts it
  // (the writer would go on for ever), not a busy machine.
  assert.ok(ms < 30_000, `closed after ${ms} ms`);
  assert.ok(ms >= 300, `not before the timeout (${ms} ms)`);
  assert.ok(data === '' || /^HTTP\/1\.1 408/.test(data), data);
});

test('an idle keep-alive connection and a silent new one are closed by the router itself', async () => {
  // Both at once; a guard fails the test instead of hanging. How soon (keepAliveTimeout plus
  // Node's keepAliveTimeoutBuffer, headersTimeout) is for the benches, not a bound here.
  const guard = (p: Promise<{ data: string; ms: number }>, name: string) => Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the router did not close the ${name} connection`)), 20_000).unref()),
  ]);
  const [idle, silent] = await Promise.all([
    guard(rawExchange((socket) => socket.write('GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n')), 'keep-alive'),
    guard(rawExchange(() => {}), 'silent'),
  ]);
  assert.match(idle.data, /^HTTP\/1\.1 200/);
  assert.ok(silent.data === '' || /^HTTP\/1\.1 408/.test(silent.data), silent.data);
});

test('/metrics on the admin listener: requests by app and class, latency histogram, connections', async () => {
  await request(router.port, { host: 'hello.localhost', path: '/m' });
  await request(router.port, { host: 'nope.localhost' });
  // One client connection stays open on the HTTP listener while the metrics are read.
  const held = net.connect(router.port, '127.0.0.1');
  held.on('error', () => {});
  await new Promise((r) => held.once('connect', r));
  const metrics = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: router.edge.adminPort()!, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
  assert.equal(metrics.status, 200);
  assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
  const value = (series: string): number => {
    const line = metrics.body.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line, `${series} in\n${metrics.body}`);
    return Number(line.split(' ')[1]);
  };
  assert.ok(value('paas_router_requests_total{app="hello",code="2xx"}') >= 2);
  assert.ok(value('paas_router_requests_total{app="hello",code="4xx"}') >= 1, 'the 413s');
  assert.equal(value('paas_router_requests_total{app="-",code="4xx"}'), 1, 'unknown host');
  const count = value('paas_router_request_duration_seconds_count{app="hello"}');
  assert.equal(value('paas_router_request_duration_seconds_bucket{app="hello",le="+Inf"}'), count);
  assert.ok(value('paas_router_request_duration_seconds_bucket{app="hello",le="30"}') <= count);
  assert.ok(value('paas_router_response_bytes_total{app="hello"}') > 0);
  assert.match(metrics.body, /# TYPE paas_router_request_duration_seconds histogram/);
  assert.ok(value('paas_router_open_connections{listener="http"}') >= 1, 'the held connection is counted');
  held.destroy();
});
