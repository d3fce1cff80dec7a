// The HTTPS listener against real parts: SNI certificate choice, the certificate bundle from
// Redis, X-Forwarded-* over TLS, redirects, HSTS, websockets over TLS, bad Host headers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import type { AppRoute } from '../common/routes.ts';
import type { CertBundle } from '../common/tls.ts';
import { certBundleKey, certChannel } from '../common/redis-keys.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { REDIS_URL, request, route as plainRoute, startBackend, waitFor, type TestBackend } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';
import { presentedNames, secureRequest, testPki, type TestPki } from './tls.test-support.ts';

let redis: Redis;
let router: RouterHandle;
let backend: TestBackend;
let pki: TestPki;
let httpsPort: number;
let version = 0;
const config = testConfig();
const logs: string[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  pki = await testPki();
  backend = await startBackend('a');
  const defaultCert = await pki.issue(['*.paas.test']);
  router = await startRouter({
    config, redis, log: (l) => logs.push(l),
    tls: { port: 0, defaultCert },
  });
  httpsPort = router.edge.httpsPort()!;
});

after(async () => {
  await router.close();
  await backend.close();
  await redis.del(certBundleKey(config.redisPrefix));
  redis.disconnect();
});

const setRoutes = (...apps: AppRoute[]): void => router.apply({ version: ++version, apps });
/** Apps at <app>.paas.test: clients refuse a wildcard certificate for a one-label domain such as *.localhost. */
const route = (app: string, backends: AppRoute['backends'], extra: Partial<AppRoute> = {}): AppRoute =>
  plainRoute(app, backends, { hosts: [`${app}.paas.test`], ...extra });

async function publishCerts(bundle: CertBundle): Promise<void> {
  await redis.set(certBundleKey(config.redisPrefix), JSON.stringify(bundle));
  await redis.publish(certChannel(config.redisPrefix), String(bundle.version));
}

test('SNI: the default wildcard certificate, then uploaded ones by exact name and by wildcard', async () => {
  assert.equal(await presentedNames(httpsPort, 'hello.paas.test'), 'DNS:*.paas.test');
  assert.equal(await presentedNames(httpsPort, undefined), 'DNS:*.paas.test', 'no SNI: the default');

  const shop = await pki.issue(['shop.example.test']);
  const wild = await pki.issue(['*.apps.example.test']);
  await publishCerts({ version: 1, certs: [{ id: 'c1', hosts: ['shop.example.test'], ...shop }, { id: 'c2', hosts: ['*.apps.example.test'], ...wild }] });
  await waitFor(async () => (await presentedNames(httpsPort, 'shop.example.test')) === 'DNS:shop.example.test', 'the uploaded certificate');
  assert.equal(await presentedNames(httpsPort, 'SHOP.example.test.'), 'DNS:shop.example.test', 'case and trailing dot ignored');
  assert.equal(await presentedNames(httpsPort, 'x.apps.example.test'), 'DNS:*.apps.example.test');
  assert.equal(await presentedNames(httpsPort, 'a.b.apps.example.test'), 'DNS:*.paas.test', 'a wildcard covers one label only');
  assert.equal(await presentedNames(httpsPort, 'other.example.test'), 'DNS:*.paas.test');

  // A client that checks names accepts it; removal falls back to the default.
  setRoutes(route('shop', [backend.backend()], { hosts: ['shop.example.test'] }));
  const ok = await secureRequest(httpsPort, { servername: 'shop.example.test', ca: pki.ca.cert });
  assert.equal(ok.status, 200);
  assert.equal(ok.authorized, true);
  await publishCerts({ version: 2, certs: [] });
  await waitFor(async () => (await presentedNames(httpsPort, 'shop.example.test')) === 'DNS:*.paas.test', 'the removal');
});

test('a broken bundle or certificate is refused without its contents reaching the log', async () => {
  const good = await pki.issue(['good.example.test']);
  const secretKey = good.key;
  await publishCerts({ version: 3, certs: [{ id: 'good', hosts: ['good.example.test'], ...good }, { id: 'broken', hosts: ['broken.example.test'], cert: good.cert, key: 'not a key' }] });
  await waitFor(async () => (await presentedNames(httpsPort, 'good.example.test')) === 'DNS:good.example.test', 'the good certificate');
  await waitFor(() => logs.some((l) => l.includes('certificate broken not usable')), 'the log line');
  await redis.set(certBundleKey(config.redisPrefix), `{"version": 4, "certs": [{"key": ${JSON.stringify(secretKey)}`);
  await redis.publish(certChannel(config.redisPrefix), '4');
  await waitFor(() => logs.some((l) => l.includes('certificate bundle is not valid JSON')), 'the parse error');
  assert.equal(await presentedNames(httpsPort, 'good.example.test'), 'DNS:good.example.test', 'the last good bundle stays');
  assert.ok(!logs.join('\n').includes('PRIVATE KEY'), 'no key material logged');
});

test('over TLS the app sees X-Forwarded-Proto https and port 443; plain HTTP still says http', async () => {
  setRoutes(route('hello', [backend.backend()]));
  const reply = await secureRequest(httpsPort, { servername: 'hello.paas.test', ca: pki.ca.cert });
  assert.equal(reply.status, 200);
  const seen = JSON.parse(reply.body) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['x-forwarded-port'], '443');
  assert.equal(seen.headers['x-forwarded-host'], 'hello.paas.test');
  assert.equal(seen.headers.via, '1.1 paas');
  assert.equal(reply.headers['strict-transport-security'], undefined, 'no HSTS unless enabled');
  const plain = await request(router.port, { host: 'hello.paas.test' });
  assert.equal(plain.json().headers['x-forwarded-proto'], 'http');
  assert.equal(plain.json().headers['x-forwarded-port'], '80');
});

test('redirectHttps: plain requests get a 308 to the HTTPS URL; HTTPS is proxied; other apps are not redirected', async () => {
  setRoutes(route('secure', [backend.backend()], { redirectHttps: true }), route('hello', [backend.backend()]));
  const seenBefore = backend.seen.length;
  const r = await request(router.port, { host: 'secure.paas.test:8080', path: '/a/b?c=1', method: 'POST', body: 'x' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://secure.paas.test:${httpsPort}/a/b?c=1`);
  assert.equal(backend.seen.length, seenBefore, 'the app was not contacted');
  assert.equal((await secureRequest(httpsPort, { servername: 'secure.paas.test', ca: pki.ca.cert })).status, 200);
  assert.equal((await request(router.port, { host: 'hello.paas.test' })).status, 200);
});

test('hsts: HTTPS responses carry Strict-Transport-Security, plain HTTP ones never do', async () => {
  setRoutes(route('strict', [backend.backend()], { hsts: true }));
  const s = await secureRequest(httpsPort, { servername: 'strict.paas.test', ca: pki.ca.cert });
  assert.equal(s.headers['strict-transport-security'], 'max-age=31536000');
  const p = await request(router.port, { host: 'strict.paas.test' });
  assert.equal(p.status, 200);
  assert.equal(p.headers['strict-transport-security'], undefined);
});

test('websockets over TLS reach the app and echo', async () => {
  setRoutes(route('hello', [backend.backend()]));
  const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'hello.paas.test', ca: pki.ca.cert });
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  let received = '';
  socket.on('data', (d: Buffer) => { received += d.toString(); });
  socket.write('GET /ws HTTP/1.1\r\nHost: hello.paas.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  await waitFor(() => received.includes('\r\n\r\n'), 'the 101');
  assert.match(received, /^HTTP\/1\.1 101/);
  const upgradeReq = backend.seen.at(-1)!;
  assert.equal(upgradeReq.headers['x-forwarded-proto'], 'https');
  received = '';
  socket.write('ping over tls');
  await waitFor(() => received === 'ping over tls', 'the echo');
  socket.destroy();
});

test('bad Host headers over TLS get 400 pages, unknown hosts 404; SNI never overrides Host', async () => {
  setRoutes(route('hello', [backend.backend()]));
  for (const host of ['bad host!', 'a..b', 'x'.repeat(300), 'hello.paas.test:8o', '[::1', 'héllo.localhost']) {
    const r = await secureRequest(httpsPort, { servername: 'hello.paas.test', host, ca: pki.ca.cert });
    assert.equal(r.status, 400, host);
    assert.match(r.body, /Bad request/);
  }
  const other = await secureRequest(httpsPort, { servername: 'hello.paas.test', host: 'nope.paas.test', ca: pki.ca.cert });
  assert.equal(other.status, 404);
});
