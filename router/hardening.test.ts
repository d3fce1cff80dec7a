// Attacks on the router's edge, each against a real router and backend: a body trickled in a
// byte at a time, connection floods (per address and in total), a websocket left silent, and a
// client posing as someone else through X-Forwarded-*, Forwarded and X-Real-IP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import { startRouter, type RouterHandle } from './index.ts';
import { REDIS_URL, request, route, startBackend, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let backend: TestBackend;
/** A client's router (nobody trusted) and one behind a trusted load balancer (127.0.0.1). */
let edge: RouterHandle;
let behindProxy: RouterHandle;

before(async () => {
  redis = new Redis(REDIS_URL);
  backend = await startBackend('a');
  const table = { version: 1, apps: [route('hello', [backend.backend()])] };
  edge = await startRouter({
    config: testConfig(), redis, log: () => {},
    limits: { headersTimeoutMs: 400, requestTimeoutMs: 1000, idleTimeoutMs: 3000, maxConnectionsPerIp: 5, maxConnections: 100, wsIdleTimeoutMs: 600 },
  });
  behindProxy = await startRouter({
    config: testConfig(), redis, log: () => {}, trustedProxies: ['127.0.0.0/8', '::1'],
    limits: { maxConnectionsPerIp: 5, maxConnections: 8 },
  });
  edge.apply(table);
  behindProxy.apply(table);
});

after(async () => {
  await edge.close();
  await behindProxy.close();
  await backend.close();
  redis.disconnect();
});

/** A connection that resolves once it is open, and records when the router closes it. */
function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<number>; data: () => string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let data = '';
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed, data: () => data }));
    socket.once('error', reject);
  });
}

/** True if the router closes the connection within `ms` without answering anything. */
async function cutAtOnce(port: number, ms = 1000): Promise<boolean> {
  const c = await connect(port);
  c.socket.write('GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n');
  const result = await Promise.race([c.closed.then(() => c.data() === ''), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  c.socket.destroy();
  return result;
}

test('a body trickled in a byte at a time is cut after requestTimeout (408), though it is never idle', async () => {
  const c = await connect(edge.port);
  c.socket.write('POST / HTTP/1.1\r\nHost: hello.localhost\r\nContent-Length: 100\r\n\r\n');
  let sent = 0;
  // One byte every 100 ms: 10 s for the whole body, well inside idleTimeoutMs between bytes.
  const timer = setInterval(() => { if (!c.socket.destroyed && sent < 100) { c.socket.write('x'); sent++; } }, 100);
  const ms = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
  clearInterval(timer);
  c.socket.destroy();
  assert.ok(ms > 0, `the connection was still open after 8 s (${sent} bytes sent)`);
  assert.ok(sent < 100, 'cut before the body was complete');
  assert.ok(c.data() === '' || /^HTTP\/1\.1 408/.test(c.data()), c.data());
});

test('connections over the per-address cap are closed at once; below it they are served', async () => {
  const held = await Promise.all(Array.from({ length: 5 }, () => connect(edge.port)));
  await waitFor(async () => cutAtOnce(edge.port, 300), 'the sixth connection to be refused', 3000);
  // The held ones still work.
  held[0].socket.write('GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n');
  await waitFor(() => /^HTTP\/1\.1 200/.test(held[0].data()), 'an answer on a held connection');
  held[1].socket.destroy();
  await held[1].closed;
  await waitFor(async () => (await request(edge.port, { host: 'hello.localhost' }).catch(() => ({ status: 0 }))).status === 200, 'a free slot');
  for (const c of held) c.socket.destroy();
});

test('a trusted proxy is exempt from the per-address cap but not from the total cap', async () => {
  const held = await Promise.all(Array.from({ length: 8 }, () => connect(behindProxy.port)));
  held[7].socket.write('GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n');
  await waitFor(() => /^HTTP\/1\.1 200/.test(held[7].data()), 'the eighth connection (past the per-address cap) served');
  await waitFor(async () => cutAtOnce(behindProxy.port, 300), 'the ninth connection to be refused', 3000);
  for (const c of held) c.socket.destroy();
});

test('a websocket silent both ways is closed after wsIdleTimeout, on both sides; traffic keeps it open', async () => {
  const before = await backend.connections();
  const c = await connect(edge.port);
  c.socket.write('GET /ws HTTP/1.1\r\nHost: hello.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await waitFor(() => c.data().includes('101 Switching Protocols'), 'the upgrade');
  // Traffic every 200 ms for 1.2 s (twice the idle timeout) keeps it open.
  for (let i = 0; i < 6; i++) {
    c.socket.write(`ping${i}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(!c.socket.destroyed && c.data().includes('ping5'), 'open while it talks');
  const ms = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
  assert.ok(ms > 0, 'a silent websocket was still open 5 s later');
  await waitFor(async () => (await backend.connections()) <= before, 'the app side closed too', 3000);
});

test('a client cannot pose as another address or as HTTPS: its X-Forwarded-*, Forwarded and X-Real-IP are replaced or dropped', async () => {
  const spoof = {
    'x-forwarded-for': '203.0.113.66', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'bank.example', 'x-forwarded-port': '443',
    forwarded: 'for=203.0.113.66;proto=https', 'x-real-ip': '203.0.113.66',
  };
  const seen = (await request(edge.port, { host: 'hello.localhost', headers: spoof })).json().headers;
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-host'], 'hello.localhost');
  assert.equal(seen['x-forwarded-port'], '80');
  assert.equal(seen.forwarded, undefined);
  assert.equal(seen['x-real-ip'], undefined);

  // Websocket upgrades follow the same rule.
  const before = backend.seen.length;
  const c = await connect(edge.port);
  c.socket.write(`GET /ws HTTP/1.1\r\nHost: hello.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${
    Object.entries(spoof).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  await waitFor(() => backend.seen.length > before, 'the upgrade at the app');
  const up = backend.seen[backend.seen.length - 1].headers;
  c.socket.destroy();
  assert.equal(up['x-forwarded-for'], '127.0.0.1');
  assert.equal(up['x-forwarded-proto'], 'http');
  assert.equal(up.forwarded, undefined);
  assert.equal(up['x-real-ip'], undefined);
});

test('behind a trusted proxy, its X-Forwarded-For is appended to and its Proto, Host, Forwarded and X-Real-IP kept', async () => {
  const seen = (await request(behindProxy.port, { host: 'hello.localhost', headers: {
    'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com', forwarded: 'for=203.0.113.9', 'x-real-ip': '203.0.113.9',
  } })).json().headers;
  assert.equal(seen['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'https');
  assert.equal(seen['x-forwarded-host'], 'shop.example.com');
  assert.equal(seen.forwarded, 'for=203.0.113.9');
  assert.equal(seen['x-real-ip'], '203.0.113.9');
});

test('a malformed PAAS_TRUSTED_PROXIES entry stops the router from starting', async () => {
  await assert.rejects(startRouter({ config: testConfig(), redis, log: () => {}, trustedProxies: ['10.0.0.0/33'] }), /not an IP address or CIDR/);
  await assert.rejects(startRouter({ config: testConfig(), redis, log: () => {}, trustedProxies: ['proxy.example'] }), /not an IP address or CIDR/);
});
