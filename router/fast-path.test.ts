// The fast path (fast-path.ts) against real routers and a real backend. Request smuggling: each
// hostile or unusual head goes, as raw bytes, to a router with the fast path and to one
// without it (node:http alone); the answers, which echo what the app received, must be the
// same. Then what the fast path serves itself: plain and TLS requests, pipelining, the hand-over
// of a connection to node:http midway, pages, errors and the access entries.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import type { AccessEntry } from './access.ts';
import { startRouter, type RouterHandle } from './index.ts';
import { deadPort, REDIS_URL, route, startBackend, type TestBackend } from './router.test-support.ts';
import { testPki, type TestPki } from './tls.test-support.ts';
import { testConfig } from '../test/helpers/config.ts';

let redis: Redis;
let backend: TestBackend;
let pki: TestPki;
let fast: RouterHandle;
let slow: RouterHandle;
/** Requests node:http parsed on the fast router (the fast path's own never reach it). */
let nodeRequests = 0;
const access: AccessEntry[] = [];
let hostile: net.Server;

/** Response heads of a hostile (or merely unusual) app, by request path. */
const HOSTILE_HEADS: Record<string, string> = {
  '/bad-value': 'HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n',
  '/bad-name': 'HTTP/1.1 200 OK\r\nBad Name: x\r\n',
  '/bad-reason': 'HTTP/1.1 200 O\u0001K\r\n',
  '/bare-lf': 'HTTP/1.1 200 OK\r\nX-A: a\nInjected: yes\r\n',
  '/odd-but-valid': 'HTTP/1.1 299 Fine Thanks\r\nX-Colon: a: b\r\nX-Obs: caf\u00e9\r\nX-Pad:  \t padded \t \r\nX-Empty:\r\n',
};

/** An app that answers each request with the head HOSTILE_HEADS gives for its path, then "ok". */
function startHostileApp(): Promise<number> {
  hostile = net.createServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      let end: number;
      while ((end = seen.indexOf('\r\n\r\n')) !== -1) {
        const path = seen.slice(seen.indexOf(' ') + 1, seen.indexOf(' HTTP/1.1'));
        seen = seen.slice(end + 4);
        socket.write(`${HOSTILE_HEADS[path] ?? 'HTTP/1.1 404 Not Found\r\n'}Content-Length: 2\r\n\r\nok`, 'latin1');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => hostile.listen(0, '127.0.0.1', () => resolve((hostile.address() as net.AddressInfo).port)));
}

before(async () => {
  redis = new Redis(REDIS_URL);
  pki = await testPki();
  backend = await startBackend('a');
  const dead = await deadPort();
  const hostilePort = await startHostileApp();
  const defaultCert = await pki.issue(['*.localhost']);
  const table = {
    version: 1,
    apps: [
      route('hello', [backend.backend()]),
      route('secure', [backend.backend()], { hsts: true }),
      route('down', [{ dyno: 'web.1', host: '127.0.0.1', port: dead, release: 1 }]),
      route('retry', [{ dyno: 'web.1', host: '127.0.0.1', port: dead, release: 1 }, backend.backend('web.2')]),
      route('hostile', [{ dyno: 'web.1', host: '127.0.0.1', port: hostilePort, release: 1 }]),
    ],
  };
  const limits = { maxBodyBytes: 1000 };
  fast = await startRouter({ config: testConfig(), redis, log: () => {}, limits, tls: { port: 0, defaultCert }, onAccess: (e) => access.push(e), seed: { table } });
  slow = await startRouter({ config: testConfig(), redis, log: () => {}, limits, fastPath: false, seed: { table } });
  fast.server.on('request', () => nodeRequests++);
});

after(async () => {
  await fast.close();
  await slow.close();
  await backend.close();
  hostile.close();
  redis.disconnect();
});

/**
 * Sends raw bytes (each string of `parts` as its own write, `gapMs` apart) and returns all the
 * router wrote back until it closed the connection or was quiet for `quietMs`.
 */
function exchange(connect: () => net.Socket, parts: string[], { gapMs = 0, quietMs = 250 } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect();
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const quiet = (): void => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on('data', (d: Buffer) => { out += d.toString('latin1'); quiet(); });
    socket.on('close', done);
    socket.on('error', () => {});
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) break;
        socket.write(part, 'latin1');
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      quiet();
    });
  });
}

const plain = (router: RouterHandle) => () => net.connect(router.port, '127.0.0.1');

/** Request ids, timestamps and dates differ between two runs of the same exchange. */
function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/\bt=\d+/g, 't=T')
    .replace(/\r\nDate: [^\r]*/gi, '')
}

const H = 'Host: hello.localhost\r\n';
/** Each: hostile or unusual bytes; the fast router must answer exactly as node:http does. */
const ATTACKS: Record<string, string[]> = {
  'CL and TE together': [`POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'two Content-Lengths': [`GET / HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'Content-Length with a sign': [`GET / HTTP/1.1\r\n${H}Content-Length: +0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'Content-Length with a space inside': [`GET / HTTP/1.1\r\n${H}Content-Length: 0 30\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'space before the colon': [`GET / HTTP/1.1\r\n${H}Content-Length : 30\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'obs-fold': [`GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`],
  'bare LF line ends': [`GET /lf HTTP/1.1\n${H.replace('\r\n', '\n')}\n`],
  'bare LF inside a header': [`GET / HTTP/1.1\r\n${H}X-A: a\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  'bare CR inside a header': [`GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`],
  'NUL in a header': [`GET / HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`],
  'control character in a header': [`GET / HTTP/1.1\r\n${H}X-A: a\u0001b\r\n\r\n`],
  'absolute-form target': [`GET http://hello.localhost/abs HTTP/1.1\r\nHost: other.localhost\r\n\r\n`],
  'asterisk-form target': [`OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  'very long head': [`GET / HTTP/1.1\r\n${H}X-Long: ${'x'.repeat(20_000)}\r\n\r\n`],
  'head just over the fast limit': [`GET /long HTTP/1.1\r\n${H}X-Long: ${'x'.repeat(8200)}\r\n\r\n`],
  'pipelining with a body': [`GET /first HTTP/1.1\r\n${H}\r\nPOST /post HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET /third HTTP/1.1\r\n${H}\r\n`],
  'pipelining with a chunked body': [`GET /first HTTP/1.1\r\n${H}\r\nPOST /post HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /third HTTP/1.1\r\n${H}\r\n`],
  'two Host headers': [`GET / HTTP/1.1\r\n${H}Host: other.localhost\r\n\r\n`],
  'no Host': ['GET / HTTP/1.1\r\n\r\n'],
  'lowercase method': [`get / HTTP/1.1\r\n${H}\r\n`],
  'unknown method': [`PURGE / HTTP/1.1\r\n${H}\r\n`],
  'two spaces in the request line': [`GET  / HTTP/1.1\r\n${H}\r\n`],
  'HTTP/1.0 with keep-alive': [`GET /ten HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\nGET /eleven HTTP/1.1\r\n${H}Connection: close\r\n\r\n`],
  'HTTP/2 preface': ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  'Expect: 100-continue': [`POST /expect HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`],
  'Connection: upgrade without Upgrade': [`GET / HTTP/1.1\r\n${H}Connection: upgrade\r\n\r\n`],
  'a body with its head, then a pipelined request': [`PUT /put HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n${H}\r\n`],
  'a GET with a body': [`GET /get-body HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`],
  'Content-Length with leading zeros': [`POST /zeros HTTP/1.1\r\n${H}Content-Length: 005\r\n\r\nhello`],
  'a body over the limit': [`POST /big HTTP/1.1\r\n${H}Content-Length: 1001\r\n\r\n${'x'.repeat(1001)}GET /after-413 HTTP/1.1\r\n${H}\r\n`],
  'a body cut short': [`POST /short HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nhello`],
  'Content-Length: 0 then pipelined': [`POST /zero HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\nGET /two HTTP/1.1\r\n${H}Connection: close\r\n\r\n`],
  'Connection naming a header': [`GET / HTTP/1.1\r\n${H}Connection: x-secret\r\nX-Secret: 1\r\n\r\n`],
  'headers named like Object properties': [`GET /proto HTTP/1.1\r\n${H}__proto__: x\r\nConstructor: y\r\ntoString: z\r\n\r\n`],
  'repeated headers': [`GET /repeat HTTP/1.1\r\n${H}Accept: a\r\nCookie: x=1\r\nAccept: b\r\nCookie: y=2\r\nX-Request-ID: one-request-id-of-twenty\r\nX-Request-ID: another-one-of-twenty\r\n\r\n`],
  'two Connection headers': [`GET /conn HTTP/1.1\r\n${H}Connection: keep-alive\r\nConnection: close\r\n\r\nGET /after HTTP/1.1\r\n${H}\r\n`],
  'leading empty line': [`\r\nGET /lead HTTP/1.1\r\n${H}\r\n`],
  'obs-text in a value': [`GET /text HTTP/1.1\r\n${H}X-A: caf\u00e9\r\nConnection: close\r\n\r\n`],
  'a fragment in the target': [`GET /a#frag HTTP/1.1\r\n${H}\r\n`],
  'unusual characters in the target': [`GET /a"b\\c<d>{e}|f^g\`h HTTP/1.1\r\n${H}\r\n`],
  'DEL in the target': [`GET /a\u007fb HTTP/1.1\r\n${H}\r\n`],
  'tab in the target': [`GET /a\tb HTTP/1.1\r\n${H}\r\n`],
  'non-ASCII in the target': [`GET /caf\u00e9 HTTP/1.1\r\n${H}\r\n`],
};

test('hostile and unusual heads get the same answer with the fast path as from node:http alone', async () => {
  const names = Object.keys(ATTACKS);
  const results = await Promise.all(names.map(async (name) => {
    const [withFast, withoutFast] = await Promise.all([exchange(plain(fast), ATTACKS[name]), exchange(plain(slow), ATTACKS[name])]);
    return { name, withFast: normalize(withFast), withoutFast: normalize(withoutFast) };
  }));
  for (const { name, withFast, withoutFast } of results) {
    assert.equal(withFast, withoutFast, name);
    assert.ok(withFast.startsWith('HTTP/1.1 ') || withFast === '', `${name}: ${withFast}`);
    assert.doesNotMatch(withFast, /smuggled/, name);
  }

  assert.ok(backend.seen.every((req) => req.url !== '/smuggled'));
});

test('a body shorter than declared takes the next bytes as Content-Length says, and the rest is answered 400', async () => {
  const bytes = `POST /short HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n${H}\r\n`;
  const [withFast, withoutFast] = await Promise.all([exchange(plain(fast), [bytes]), exchange(plain(slow), [bytes])]);
  // node:http alone answers the malformed remainder at once and drops the response under way;
  // the fast path sends that response first. The app gets the same request either way.
  const bad = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
  assert.equal(withoutFast, bad);
  assert.ok(withFast.endsWith(bad), withFast);
  assert.match(withFast, /^HTTP\/1\.1 200 OK\r\n[^]*"url":"\/short"[^]*"body":"helloGET \/"\}HTTP\/1\.1 400 /);
  assert.ok(backend.seen.every((req) => req.url !== '/smuggled'));
});

test('a head sent a byte at a time is left to node:http, which serves it as before', async () => {
  const request = `GET /bytes HTTP/1.1\r\n${H}X-A: 1\r\nConnection: close\r\n\r\n`;
  const before = nodeRequests;
  const [withFast, withoutFast] = await Promise.all([
    exchange(plain(fast), [...request], { gapMs: 1 }), exchange(plain(slow), [...request], { gapMs: 1 }),
  ]);
  assert.equal(normalize(withFast), normalize(withoutFast));
  assert.match(withFast, /^HTTP\/1\.1 200 /);
  assert.equal(nodeRequests, before + 1);
});

test('the common request is served by the fast path: forwarded headers, keep-alive, pipelining in order, a body sent with its head', async () => {
  const before = nodeRequests;
  const reply = await exchange(plain(fast), [
    `GET /one HTTP/1.1\r\n${H}X-Forwarded-For: 6.6.6.6\r\nX-Request-ID: client-chosen-request-id-123\r\n\r\nGET /two HTTP/1.1\r\n${H}\r\n`,
    `POST /four HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nbody`,
    `HEAD /three HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  ], { gapMs: 20 });
  assert.equal(nodeRequests, before, 'node:http parsed none of them');
  const heads = reply.split('HTTP/1.1 ').slice(1);
  assert.equal(heads.length, 4, reply);
  assert.match(heads[0], /^200 OK\r\n/);
  assert.match(heads[0], /"url":"\/one"/);
  assert.match(heads[0], /"x-forwarded-for":"127\.0\.0\.1"/); // the client's claim is not believed
  assert.match(heads[0], /"x-request-id":"client-chosen-request-id-123"/);
  assert.match(heads[0], /\r\nx-request-id: client-chosen-request-id-123\r\n/);
  assert.match(heads[0], /\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n/);
  assert.match(heads[1], /"url":"\/two"/);
  assert.match(heads[2], /"method":"POST","url":"\/four"/);
  assert.match(heads[2], /"body":"body"/);
  assert.match(heads[3], /\r\nConnection: close\r\n/);
  assert.doesNotMatch(heads[3], /"url"/, 'HEAD: no body');
  const entry = access.find((e) => e.path === '/one');
  assert.deepEqual({ ...entry, durationMs: 0, connectMs: 0 }, {
    app: 'hello', dyno: 'a', method: 'GET', path: '/one', status: 200, bytes: entry!.bytes, durationMs: 0, connectMs: 0,
    requestId: 'client-chosen-request-id-123', host: 'hello.localhost', fwd: '127.0.0.1', protocol: 'http', code: undefined, // no router error
  });
  assert.ok(entry!.bytes > 0);
});

test('the fast path passes the client\'s header lines on as they came: repeats kept, the router\'s own dropped wherever they stand', async () => {
  const before = nodeRequests;
  const reply = await exchange(plain(fast), [
    'GET /lines HTTP/1.1\r\nX-Request-Start: t=1\r\nAccept: a\r\nVia: 1.0 corp\r\nHost: hello.localhost\r\nCookie: x=1\r\n'
    + 'Keep-Alive: 5\r\nTE: trailers\r\nAccept: b\r\nx-custom:  padded \t\r\nX-Forwarded-Host: evil.example\r\nCookie: y=2\r\nConnection: close\r\n\r\n',
  ]);
  assert.equal(nodeRequests, before, 'served by the fast path');
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  const req = backend.seen.findLast((r) => r.url === '/lines')!;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) raw.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  const forwarded = raw.slice(-7).map((line) => line.replace(/(x-request-id|x-request-start): .*/, '$1: ~'));
  assert.deepEqual(raw.slice(0, -7), ['Accept: a', 'Host: hello.localhost', 'Cookie: x=1', 'Accept: b', 'x-custom: padded', 'Cookie: y=2']);
  assert.deepEqual(forwarded, [
    'x-forwarded-for: 127.0.0.1', 'x-forwarded-proto: http', 'x-forwarded-port: 80', 'x-forwarded-host: hello.localhost',
    'x-request-id: ~', 'x-request-start: ~', 'via: 1.0 corp, 1.1 paas',
  ]);
  assert.equal(req.headers.accept, 'a, b');
  assert.equal(req.headers.cookie, 'x=1; y=2');
});

test('a connection the fast path started is handed to node:http midway, body and all', async () => {
  const before = nodeRequests;
  const reply = await exchange(plain(fast), [
    `GET /first HTTP/1.1\r\n${H}\r\n`,
    `POST /body HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhel`,
    'lo',
    `GET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  ], { gapMs: 30 });
  const heads = reply.split('HTTP/1.1 ').slice(1);
  assert.equal(heads.length, 3, reply);
  assert.match(heads[1], /"method":"POST","url":"\/body"/);
  assert.match(heads[1], /"body":"hello"/);
  assert.match(heads[2], /"url":"\/after"/);
  assert.equal(nodeRequests, before + 2, 'the POST and what followed it went through node:http');
});

test('a client that pipelines requests and half-closes at once leaves the router serving', async () => {
  for (const tail of [`GET /ten HTTP/1.0\r\n${H}\r\n`, `GET /partial HTTP/1.1\r\n${H}`, `GET /whole HTTP/1.1\r\n${H}\r\n`]) {
    await new Promise<void>((resolve) => {
      const socket = net.connect(fast.port, '127.0.0.1', () => socket.end(`GET /first HTTP/1.1\r\n${H}\r\n${tail}`));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.resume();
    });
  }
  const reply = await exchange(plain(fast), [`GET /still HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]);
  assert.match(reply, /^HTTP\/1\.1 200 [^]*"url":"\/still"/);
});

test('errors on the fast path: 502 with its code, a GET retried on the next backend', async () => {
  const down = await exchange(plain(fast), [`GET /down HTTP/1.1\r\nHost: down.localhost\r\n\r\n`]);
  assert.match(down, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.match(down, /\r\nConnection: keep-alive\r\n/);
  assert.equal(access.find((e) => e.path === '/down')?.code, 'H10');
  const retried = await exchange(plain(fast), [`GET /retried HTTP/1.1\r\nHost: retry.localhost\r\nConnection: close\r\n\r\n`]);
  assert.match(retried, /^HTTP\/1\.1 200 /);
  assert.equal(access.find((e) => e.path === '/retried')?.dyno, 'web.2');
});

test('HTTPS: served by the fast path with HSTS, and handed to node:http on the same TLS connection', async () => {
  const connect = () => tls.connect({ host: '127.0.0.1', port: fast.edge.httpsPort()!, servername: 'secure.localhost', rejectUnauthorized: false });
  const before = nodeRequests;
  const https = fast.edge.httpsServer()!;
  let httpsRequests = 0;
  const count = (): void => { httpsRequests++; };
  https.on('request', count);
  const reply = await exchange(connect, [
    'GET /tls HTTP/1.1\r\nHost: secure.localhost\r\n\r\n',
    'POST /tls-body HTTP/1.1\r\nHost: secure.localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  ], { gapMs: 30 });
  https.off('request', count);
  const heads = reply.split('HTTP/1.1 ').slice(1);
  assert.equal(heads.length, 2, reply);
  for (const head of heads) assert.match(head, /\r\nstrict-transport-security: max-age=31536000\r\n/);
  assert.match(heads[0], /"x-forwarded-proto":"https"/);
  assert.match(heads[1], /"body":"ok"/);
  assert.equal(httpsRequests, 1, 'only the POST went through node:http');
  assert.equal(nodeRequests, before);
  assert.equal(access.find((e) => e.path === '/tls')?.protocol, 'https');
});

test('an app\'s response head with a control character, a bad name, a bad reason or a bare LF is a 502 on the fast path as on node:http; odd but valid heads pass alike', async () => {
  for (const path of Object.keys(HOSTILE_HEADS)) {
    const ask = [`GET ${path} HTTP/1.1\r\nHost: hostile.localhost\r\n\r\nGET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`];
    const [viaFast, viaNode] = await Promise.all([exchange(plain(fast), ask), exchange(plain(slow), ask)]);
    const status = (reply: string): string => reply.slice(0, reply.indexOf('\r\n'));
    const expected = path === '/odd-but-valid' ? 'HTTP/1.1 299 Fine Thanks' : 'HTTP/1.1 502 Bad Gateway';
    assert.equal(status(viaFast), expected, `${path} via the fast path: ${viaFast}`);
    assert.equal(status(viaNode), expected, `${path} via node:http`);
    assert.doesNotMatch(viaFast, /\r\nInjected:/i);
    assert.match(viaFast, /"url":"\/after"/, `${path}: the connection still serves`);
    if (path === '/odd-but-valid') {
      for (const line of ['X-Colon: a: b', 'X-Obs: caf\u00e9', 'X-Pad: padded', 'X-Empty: ']) {
        assert.ok(viaFast.includes(`\r\n${line}\r\n`), `${line} via the fast path`);
        assert.ok(viaNode.includes(`\r\n${line}\r\n`), `${line} via node:http`);
      }
    }
  }
});
