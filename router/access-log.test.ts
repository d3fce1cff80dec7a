// Router lines in the app's log, Heroku's format, through a real router, a real backend and
// Redis: the lines `paas logs` shows (common/app-log.ts), one per request, with the router's
// error codes where the router decided the outcome.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { accessLogger, entriesFromFields, formatLogEntry } from '../common/app-log.ts';
import { appLogKey } from '../common/redis-keys.ts';
import type { Backend } from '../common/routes.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { deadPort, REDIS_URL, request, route, waitFor } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

const config = testConfig();
let redis: Redis;
let router: RouterHandle;
let app: http.Server;
let backend: Backend;
let version = 0;
const seen: string[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  // "/": a normal answer; "/close": the connection dropped unanswered; "/cut": headers and a
  // few bytes, then the connection dropped; "/hang": never answers.
  app = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/close') return req.socket.destroy();
    if (req.url === '/hang') return;
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    res.end('hello from web.1');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  backend = { dyno: 'web.1', host: '127.0.0.1', port: (app.address() as AddressInfo).port, release: 1 };
  router = await startRouter({
    config, redis, upstreamTimeoutMs: 300, log: () => undefined, onAccess: accessLogger(redis, config.redisPrefix),
  });
});

after(async () => {
  await router.close();
  await new Promise<void>((resolve) => { app.close(() => resolve()); app.closeAllConnections(); });
  await redis.del(appLogKey(config.redisPrefix, 'shop'));
  redis.disconnect();
});

/** The app's log lines as `paas logs` prints them. */
async function logLines(): Promise<string[]> {
  const rows = await redis.xrange(appLogKey(config.redisPrefix, 'shop'), '-', '+');
  return rows.flatMap(([, fields]) => entriesFromFields(fields).map(formatLogEntry));
}

async function lineFor(requestId: string): Promise<string> {
  let found: string[] = [];
  await waitFor(async () => (found = (await logLines()).filter((l) => l.includes(`request_id=${requestId} `))).length > 0, `log line of ${requestId}`);
  assert.equal(found.length, 1, `one line per request: ${found.join('\n')}`);
  return found[0];
}

const setRoutes = (backends: Backend[], maintenance = false): void => router.apply({ version: ++version, apps: [route('shop', backends, { maintenance })] });
const get = (path: string, id: string) => request(router.port, { host: 'shop.localhost', path, headers: { 'x-request-id': id } });

test('a proxied request is logged as Heroku does: host, fwd, dyno, connect, service, status, bytes', async () => {
  setRoutes([backend]);
  const reply = await get('/?q="x"', 'req-ok-000000000001-id');
  assert.equal(reply.status, 200);
  const line = await lineFor('req-ok-000000000001-id');
  assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z paas\[router\]: at=info method=GET path="\/\?q=\\"x\\"" host=shop\.localhost request_id=req-ok-000000000001-id fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=16 protocol=http$/);
  assert.doesNotMatch(line, /code=/);
});

test('no dyno up is H10, maintenance H80, a dyno that sends nothing in time H12', async () => {
  setRoutes([]);
  assert.equal((await get('/', 'req-h10-00000000001-id')).status, 503);
  assert.match(await lineFor('req-h10-00000000001-id'), / at=error code=H10 desc="App crashed" method=GET path="\/" host=shop\.localhost .* dyno=none .* status=503 /);

  setRoutes([{ ...backend, dyno: 'web.2', port: await deadPort() }]);
  assert.equal((await get('/', 'req-h10-00000000002-id')).status, 502);
  assert.match(await lineFor('req-h10-00000000002-id'), / at=error code=H10 desc="App crashed" .* dyno=web\.2 .* status=502 /);

  setRoutes([backend], true);
  assert.equal((await get('/', 'req-h80-00000000001-id')).status, 503);
  assert.match(await lineFor('req-h80-00000000001-id'), / at=info code=H80 desc="Maintenance mode" .* status=503 /);

  setRoutes([backend]);
  assert.equal((await get('/hang', 'req-h12-00000000001-id')).status, 504);
  assert.match(await lineFor('req-h12-00000000001-id'), / at=error code=H12 desc="Request timeout" method=GET path="\/hang" .* dyno=web\.1 connect=\d+ms service=(\d+)ms status=504 /);
  const service = Number(/service=(\d+)ms/.exec(await lineFor('req-h12-00000000001-id'))![1]);
  assert.ok(service >= 250, `service time covers the wait for the dyno: ${service}`);
});

test('a dyno closing without a response is H13, one cutting its response H18', async () => {
  setRoutes([backend]);
  assert.equal((await get('/close', 'req-h13-00000000001-id')).status, 502);
  assert.match(await lineFor('req-h13-00000000001-id'), / at=error code=H13 desc="Connection closed without response" method=GET path="\/close" .* dyno=web\.1 .* status=502 /);

  const cut = await new Promise<{ complete: boolean }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: router.port, path: '/cut', agent: false, headers: { host: 'shop.localhost', 'x-request-id': 'req-h18-00000000001-id' } }, (res) => {
      res.on('error', () => undefined);
      res.resume();
      res.on('close', () => resolve({ complete: res.complete }));
    }).on('error', reject);
  });
  assert.equal(cut.complete, false, 'the client sees its response cut');
  assert.match(await lineFor('req-h18-00000000001-id'), / at=error code=H18 desc="Server Request Interrupted" method=GET path="\/cut" .* dyno=web\.1 .* status=200 bytes=7 /);
});

test('a client leaving before the response is H27', async () => {
  setRoutes([backend]);
  const before = seen.length;
  const req = http.request({ host: '127.0.0.1', port: router.port, path: '/hang', agent: false, headers: { host: 'shop.localhost', 'x-request-id': 'req-h27-00000000001-id' } });
  req.on('error', () => undefined);
  req.end();
  await waitFor(() => seen.length > before, 'the dyno gets the request');
  req.destroy();
  assert.match(await lineFor('req-h27-00000000001-id'), / at=info code=H27 desc="Client Request Interrupted" method=GET path="\/hang" .* dyno=web\.1 .* status=499 bytes=0/);
});

/** Sends one raw request and returns the router's answer (until it closes or is quiet). */
function raw(head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(router.port, '127.0.0.1', () => socket.write(head, 'latin1'));
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => { clearTimeout(timer); socket.destroy(); resolve(out); };
    socket.on('data', (d: Buffer) => { out += d.toString('latin1'); clearTimeout(timer); timer = setTimeout(done, 150); });
    socket.on('close', done);
    socket.on('error', () => undefined);
    timer = setTimeout(done, 2000);
  });
}

test('attack: a tenant\'s path, host, request id or forwarded-for never adds a line or a field to the app\'s log, on the fast path or node:http', async () => {
  setRoutes([backend]);
  await redis.del(appLogKey(config.redisPrefix, 'shop'));
  const forged = '2026-11-26T00:00:00.000Z app[web.1]: forged';
  // "Accept" twice: node:http serves it (the fast path leaves repeated headers to Node).
  const viaNode = 'Accept: a\r\nAccept: b\r\n';
  const heads = [
    `GET /atk-1%0d%0a${forged.replaceAll(' ', '%20')}"\\ HTTP/1.1\r\nHost: shop.localhost\r\nX-Request-ID: atk-id-0000000000001 x\r\nConnection: close\r\n\r\n`,
    `GET /atk-2"\\ HTTP/1.1\r\nHost: shop.localhost\r\n${viaNode}X-Request-ID: atk-id-0000000000002\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: close\r\n\r\n`,
    `GET /atk-3\xff\x85 HTTP/1.1\r\nHost: shop.localhost\r\n${viaNode}Connection: close\r\n\r\n`,
    `GET http://shop.localhost/atk-4%0A HTTP/1.1\r\nHost: other.localhost\r\nConnection: close\r\n\r\n`,
    `GET /atk-5 HTTP/1.1\r\nHost: shop.localhost\t\r\nX-Request-ID: atk-id-0000000000005\rinjected ${forged}\r\nConnection: close\r\n\r\n`,
    `GET /atk-6 HTTP/1.1\r\nHost: shop.localhost\r\n${viaNode}X-Request-ID: atk-id-\r\n ${forged}\r\nConnection: close\r\n\r\n`,
    `GET /atk-7 HTTP/1.1\r\nHost: Shop.Localhost.\r\nX-Request-ID: atk"id-00000000000007\r\nConnection: close\r\n\r\n`,
  ];
  const proxied: number[] = [];
  for (const [i, head] of heads.entries()) if ((await raw(head)).startsWith('HTTP/1.1 200')) proxied.push(i + 1);
  assert.deepEqual(proxied, [1, 2, 4, 7], 'the requests proxied');
  let lines: string[] = [];
  await waitFor(async () => (lines = await logLines()).length >= proxied.length, 'their lines');
  await new Promise((r) => setTimeout(r, 100));
  lines = await logLines();
  // One line per proxied request, each a whole router line, the forged text only inside quotes.
  // (Node and the fast path refuse a CR, LF or obs-fold in a head: 5 and 6 are answered 400
  // without an app, and so is 3's control byte; formatAccessLine quotes what else could split.)
  assert.deepEqual(lines.map((l) => Number(/path="\/atk-(\d)/.exec(l)?.[1])), proxied, lines.join('\n'));
  const LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z paas\[router\]: at=info method=GET path="(?:[^"\\]|\\.)*" host=[\x21\x23-\x7e]+ request_id=[\x21\x23-\x7e]+ fwd="[^"\\]*" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=16 protocol=http$/;
  for (const l of lines) assert.match(l, LINE);
  assert.ok(!lines.some((l) => /\bapp\[web\.1\]/.test(l.slice(0, 60))));
});
