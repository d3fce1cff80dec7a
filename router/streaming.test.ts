// How bodies cross the router, against a real app server: streamed both ways (never buffered
// whole), responses without bodies framed right, client aborts reaching the app, retries after
// a connection the app broke, and upstream pools closed once their backend has left the table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Backend } from '../common/routes.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { createUpstreams } from './upstreams.ts';
import { REDIS_URL, request, route, waitFor } from './router.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let router: RouterHandle;
let app: http.Server;
let backend: Backend;
let version = 0;
const logs: string[] = [];
/** What the app saw, by path: bytes of body received so far, and whether the exchange closed early. */
const uploads = new Map<string, number>();
const aborted = new Set<string>();
/** When the app wrote its first event on /events (0: not yet). */
let firstTickAt = 0;
/** Requests the app cut without answering, by path (the first one of each path only). */
const broken = new Set<string>();
let seen: string[] = [];

before(async () => {
  redis = new Redis(REDIS_URL);
  app = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push(`${req.method} ${path}`);
    res.on('close', () => { if (!res.writableFinished) aborted.add(path); });
    if (path.startsWith('/break') && !broken.has(path)) {
      broken.add(path);
      req.socket.destroy(); // as a keep-alive connection the app just closed would
      return;
    }
    if (path === '/events') { // headers at once, then one event now and then, never ends
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const timer = setInterval(() => { firstTickAt ||= Date.now(); res.write('data: tick\n\n'); }, 300);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (path === '/hang') return;
    if (path.startsWith('/trickle/')) { // many small pieces, each in its own turn of the loop
      const body = blobBody(Number(path.slice(9)), TRICKLE_BYTES);
      res.setHeader('content-length', body.length);
      let at = 0;
      const more = (): void => {
        if (at >= body.length) return void res.end();
        const ok = res.write(body.subarray(at, at += 4096));
        if (ok) setImmediate(more);
        else res.once('drain', more);
      };
      more();
      return;
    }
    const blob = /^\/blob\/(\d+)(-chunked)?$/.exec(path);
    if (blob !== null) { // distinct bytes per request, written in uneven pieces
      const body = blobBody(Number(blob[1]));
      if (blob[2] === undefined) res.setHeader('content-length', body.length);
      let at = 0;
      const more = (): void => {
        while (at < body.length) {
          const piece = body.subarray(at, at += 1000 + ((at * 7919) % 50_000));
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    if (path === '/upload') {
      req.on('data', (c: Buffer) => uploads.set(path, (uploads.get(path) ?? 0) + c.length));
      req.on('end', () => res.end(String(uploads.get(path) ?? 0)));
      return;
    }
    if (path === '/no-content') { res.writeHead(204).end(); return; }
    if (path === '/not-modified') { res.writeHead(304, { etag: '"v1"' }).end(); return; }
    if (path === '/cookies') { res.setHeader('set-cookie', ['a=1', 'b=2']); res.end('ok'); return; }
    req.resume();
    const body = `body of ${req.method} ${path}`;
    res.setHeader('content-length', Buffer.byteLength(body)); // Node leaves it out of HEAD responses otherwise
    res.end(body);
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  backend = { dyno: 'web.1', host: '127.0.0.1', port: (app.address() as AddressInfo).port, release: 1 };
  router = await startRouter({ config: testConfig(), redis, log: (l) => logs.push(l) });
  router.apply({ version: ++version, apps: [route('hello', [backend])] });
});

after(async () => {
  await router.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
  redis.disconnect();
});

const hello = { host: '127.0.0.1', agent: false as const, headers: { host: 'hello.localhost' } };
const TRICKLE_BYTES = 256 * 1024;

/** 600 KiB to 1 MiB of bytes that depend on n (so a byte from another response shows). */
function blobBody(n: number, size = 600 * 1024 + ((n * 104_729) % (424 * 1024))): Buffer {
  const body = Buffer.allocUnsafe(size);
  let x = n * 2_654_435_761 + 1;
  for (let i = 0; i < body.length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    body[i] = x >>> 24;
  }
  return body;
}

test('concurrent large responses arrive intact, to fast and to slow readers (read buffers are reused)', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  try {
    const fetchOne = (n: number): Promise<void> => new Promise((resolve, reject) => {
      const chunked = n % 3 === 0;
      http.get({ ...hello, agent, port: router.port, path: `/blob/${n}${chunked ? '-chunked' : ''}` }, (res) => {
        const parts: Buffer[] = [];
        const slow = n % 2 === 0;
        res.on('data', (d: Buffer) => {
          parts.push(d);
          if (slow) { // a reader that keeps the router's writes waiting now and then
            res.pause();
            setTimeout(() => res.resume(), 2);
          }
        });
        res.on('end', () => {
          try {
            assert.equal(res.statusCode, 200);
            assert.ok(Buffer.concat(parts).equals(blobBody(n)), `response ${n}${chunked ? ' (chunked)' : ''} arrived intact`);
            resolve();
          } catch (err) { reject(err as Error); }
        });
        res.on('error', reject);
      }).on('error', reject);
    });
    await Promise.all(Array.from({ length: 24 }, (_, n) => fetchOne(n + 1)));
  } finally {
    agent.destroy();
  }
});

test('response headers and each streamed chunk reach the client while the app is still sending', async () => {
  firstTickAt = 0;
  const { res, tickWritten } = await new Promise<{ res: http.IncomingMessage; tickWritten: boolean }>((resolve, reject) => {
    http.get({ ...hello, port: router.port, path: '/events' }, (r) => resolve({ res: r, tickWritten: firstTickAt !== 0 })).on('error', reject);
  });
  try {
    assert.equal(res.headers['content-type'], 'text/event-stream');
    // Order, not time: the headers were here before the app wrote anything (not held back
    // until the first chunk).
    assert.equal(tickWritten, false, 'headers arrived before the app wrote its first event');
    const first = await new Promise<string>((resolve) => res.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(first, 'data: tick\n\n');
    const second = await new Promise<string>((resolve) => res.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(second, 'data: tick\n\n');
  } finally {
    res.destroy();
  }
  await waitFor(() => aborted.has('/events'), 'the app sees the stream closed when the client leaves');
});

test('bytes handed on from a read buffer stay intact until released, however many reads follow', async () => {
  // The contract of upstreams.ts: body chunks are views of pooled read buffers, valid until the
  // handler calls release. Here nothing is released until the end and nothing is copied.
  const upstreams = createUpstreams({ headersTimeoutMs: 5000 });
  try {
    const views: Buffer[] = [];
    const releases: Array<() => void> = [];
    await new Promise<void>((resolve, reject) => {
      upstreams.pool(`127.0.0.1:${backend.port}`).dispatch({ method: 'GET', path: '/trickle/7', headers: ['host', 'hello.localhost'], body: null, bodyLength: 0 }, {
        onRequestStart: () => {},
        onResponseStart: () => {},
        onResponseData: (_c, chunk, release) => { views.push(chunk); releases.push(release); },
        onResponseEnd: () => resolve(),
        onReadDone: () => {},
        onResponseError: reject,
      });
    });
    assert.ok(views.length > 10, `the body came in ${views.length} reads`);
    assert.ok(Buffer.concat(views).equals(blobBody(7, TRICKLE_BYTES)), 'every view still holds its own bytes');
    for (const release of releases) release();
  } finally {
    await upstreams.destroy();
  }
});

test('a client that leaves before the response cancels the upstream request', async () => {
  const req = http.get({ ...hello, port: router.port, path: '/hang' });
  req.on('error', () => {});
  await waitFor(() => seen.includes('GET /hang'), 'the request reached the app');
  req.destroy();
  await waitFor(() => aborted.has('/hang'), 'the app sees the request closed', 2000);
});

test('a large request body streams through instead of being buffered', async () => {
  const chunk = Buffer.alloc(256 * 1024, 'x');
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request({ ...hello, port: router.port, method: 'PUT', path: '/upload',
      headers: { ...hello.headers, 'content-length': String(8 * chunk.length) } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.write(chunk);
    // The rest is sent only once the app has received part of the body: a router that waited
    // for the whole body would hang here.
    waitFor(() => (uploads.get('/upload') ?? 0) > 0, 'the first bytes at the app', 2000)
      .then(() => { for (let i = 1; i < 8; i++) req.write(chunk); req.end(); }, reject);
  });
  assert.equal(reply, String(8 * chunk.length));
});

test('HEAD, 204 and 304 responses have no body and leave the connection usable', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const get = (method: string, path: string) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      http.request({ ...hello, agent, port: router.port, method, path }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      }).on('error', reject).end();
    });
    const head = await get('HEAD', '/page');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('body of HEAD /page'.length));
    assert.equal(head.body, '');
    assert.deepEqual(await get('GET', '/no-content').then((r) => [r.status, r.body]), [204, '']);
    const notModified = await get('GET', '/not-modified');
    assert.deepEqual([notModified.status, notModified.body, notModified.headers.etag], [304, '', '"v1"']);
    const after = await get('GET', '/page');
    assert.deepEqual([after.status, after.body], [200, 'body of GET /page']);
    assert.equal(Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length, 1, 'one client connection throughout');
  } finally {
    agent.destroy();
  }
});

test('repeated response headers such as Set-Cookie are relayed one by one', async () => {
  const reply = await request(router.port, { host: 'hello.localhost', path: '/cookies' });
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
});

test('a connection the app breaks before answering: a GET is retried, a POST is not', async () => {
  const get = await request(router.port, { host: 'hello.localhost', path: '/break-get' });
  assert.equal(get.status, 200);
  assert.equal(get.body, 'body of GET /break-get');
  assert.deepEqual(seen.filter((s) => s === 'GET /break-get'), ['GET /break-get', 'GET /break-get']);
  const post = await request(router.port, { host: 'hello.localhost', method: 'POST', path: '/break-post', body: 'x' });
  assert.equal(post.status, 502);
  assert.deepEqual(seen.filter((s) => s === 'POST /break-post'), ['POST /break-post'], 'the app saw the POST once');
});

test('upstream connections to a backend that left the table are closed once its requests are done', async () => {
  const connections = () => new Promise<number>((resolve, reject) => app.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  await Promise.all([1, 2, 3].map(() => request(router.port, { host: 'hello.localhost', path: '/page' })));
  assert.ok(await connections() >= 1, 'idle keep-alive connections to the app');
  router.apply({ version: ++version, apps: [route('hello', [])] });
  await waitFor(async () => (await connections()) === 0, 'connections to the removed backend closed', 2000);
  router.apply({ version: ++version, apps: [route('hello', [backend])] });
  assert.equal((await request(router.port, { host: 'hello.localhost', path: '/page' })).status, 200, 'a backend that comes back is served again');
});
