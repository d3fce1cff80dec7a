// The shipper against real receivers in this process: a syslog TCP listener, a syslog TLS
// listener and an HTTPS server (certificates from a CA made here, trusted through the extra-CA
// setting), an HTTPS server that takes requests and never answers (a stalled drain), and a port
// nobody listens on until later (a dead drain that comes back). Real Redis (a test prefix).
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { after, afterEach, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { appendAppLog, batchEntryFields } from '../../common/app-log.ts';
import { appLogKey, drainStatsKey } from '../../common/redis-keys.ts';
import { parseOctetCounted, parseSyslogMessage } from '../../common/syslog-frame.ts';
import { testPki, type TestPki } from '../../router/tls.test-support.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { removeRedisKeys } from '../../test/helpers/redis-keys.ts';
import { startDrainShipper, type DrainShipper, type DrainTarget, type ShipperOptions } from './drain-shipper.ts';

const config = testConfig();
const prefix = config.redisPrefix;
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
let pki: TestPki;

interface Receiver { port: number; messages: string[]; requests: Array<{ headers: Record<string, string | string[] | undefined>; count: number }>; close(): Promise<void> }

function collect(socket: net.Socket, messages: string[]): void {
  let rest: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const parsed = parseOctetCounted(Buffer.concat([rest, chunk]));
    messages.push(...parsed.messages);
    rest = parsed.rest;
  });
  socket.on('error', () => undefined);
}

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

const closer = (server: net.Server) => () => new Promise<void>((resolve) => {
  (server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  server.close(() => resolve());
});

async function syslogReceiver(secure: boolean, port = 0): Promise<Receiver> {
  const messages: string[] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); collect(s, messages); };
  const server = secure ? tls.createServer({ ...(await pki.issue(['localhost'])) }, onSocket) : net.createServer(onSocket);
  const bound = await listen(server, port);
  const r: Receiver = { port: bound, messages, requests: [], close: () => { for (const s of sockets) s.destroy(); return closer(server)(); } };
  receivers.push(r);
  return r;
}

async function httpsReceiver(stall: boolean | ((request: number) => boolean)): Promise<Receiver> {
  const r: Receiver = { port: 0, messages: [], requests: [], close: async () => undefined };
  const server = https.createServer({ ...(await pki.issue(['localhost'])) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { messages } = parseOctetCounted(Buffer.concat(chunks));
      r.requests.push({ headers: req.headers, count: messages.length });
      if (stall === true || (stall !== false && stall(r.requests.length))) return; // never answers
      r.messages.push(...messages);
      res.writeHead(204).end();
    });
  });
  r.port = await listen(server);
  r.close = closer(server);
  receivers.push(r);
  return r;
}

const drains: DrainTarget[] = [];
const logs: string[] = [];
const shippers: DrainShipper[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(shippers.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  drains.length = 0;
});
function ship(over: Partial<ShipperOptions> = {}): DrainShipper {
  const s = startDrainShipper({
    redis, reader: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), prefix, drains: () => drains,
    policy: { allowPrivate: true }, extraCa: [pki.ca.cert], bufferLines: 400, timeoutMs: 400,
    backoff: { baseMs: 50, maxMs: 400 }, refreshMs: 100, l10IntervalMs: 0, log: (l) => logs.push(l), ...over,
  });
  shippers.push(s);
  return s;
}
const stats = (s: DrainShipper, id: string) => s.stats().find((x) => x.id === id)!;
const write = async (app: string, n: number, tag: string): Promise<void> => {
  for (let i = 0; i < n; i++) {
    await appendAppLog(redis, prefix, app, i % 3 === 0
      ? { source: 'paas', dyno: 'router', line: `at=info ${tag} ${i}` }
      : { source: 'app', dyno: i % 3 === 1 ? 'web.1' : 'api', line: `${tag} ${i} ✓` });
  }
};
const numbered = (msgs: string[], tag: string): number[] =>
  msgs.map((m) => parseSyslogMessage(m)!.msg).filter((m) => m.includes(`${tag} `)).map((m) => Number(/ (\d+)/.exec(m.slice(m.indexOf(tag)))![1]));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

before(async () => { pki = await testPki(); });
after(async () => {
  await removeRedisKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

test('syslog TCP, syslog TLS and HTTPS drains get every line, framed as Logplex frames them; a stalled drain drops (counted, L10) and slows none of them', async () => {
  const [tcp, tlsR, web, stalled] = await Promise.all([syslogReceiver(false), syslogReceiver(true), httpsReceiver(false), httpsReceiver(true)]);
  drains.push(
    { id: 'tcp', app: 'shop', url: `syslog+tcp://127.0.0.1:${tcp.port}`, token: 'd.tcp' },
    { id: 'tls', app: 'shop', url: `syslog+tls://localhost:${tlsR.port}`, token: 'd.tls' },
    { id: 'web', app: 'shop', url: `https://user:s3cret@localhost:${web.port}/logs?key=k3y`, token: 'd.web' },
    { id: 'stall', app: 'shop', url: `https://user:s3cret@localhost:${stalled.port}/logs`, token: 'd.stall' },
    { id: 'other', app: 'other-app', url: `syslog+tcp://127.0.0.1:${tcp.port}`, token: 'd.other' },
  );
  const s = ship();
  await eventually(async () => assert.equal(s.stats().length, 5), 5000);
  const N = 1200;
  await write('shop', N, 'burst');
  await write('other-app', 3, 'elsewhere');

  // Every healthy drain has every line, in order, with the right fields.
  await eventually(async () => {
    assert.deepEqual(numbered(tcp.messages, 'burst'), range(N));
    assert.deepEqual(numbered(tlsR.messages, 'burst'), range(N));
    assert.deepEqual(numbered(web.messages, 'burst'), range(N));
    assert.equal(tcp.messages.filter((m) => m.includes('elsewhere')).length, 3);
  }, 20_000);
  const first = parseSyslogMessage(tcp.messages.find((m) => m.endsWith('burst 1 ✓'))!)!;
  assert.deepEqual({ ...first, time: '' }, { pri: 190, time: '', host: 'd.tcp', app: 'app', procid: 'web.1', msg: 'burst 1 ✓' });
  assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(parseSyslogMessage(tlsR.messages.find((m) => m.endsWith('burst 0'))!)!.procid, 'router');
  assert.equal(parseSyslogMessage(tlsR.messages.find((m) => m.endsWith('burst 2 ✓'))!)!.procid, 'api');
  // The other app's lines went to its own drain only, with its own token.
  assert.deepEqual(tcp.messages.filter((m) => m.includes('elsewhere')).map((m) => parseSyslogMessage(m)!.host), ['d.other', 'd.other', 'd.other']);
  assert.ok(!tlsR.messages.some((m) => m.includes('elsewhere')));

  // HTTPS: Logplex's headers; the URL's credentials as Basic auth, never in the path.
  const req = web.requests[0];
  assert.equal(req.headers['content-type'], 'application/logplex-1');
  assert.equal(req.headers['logplex-drain-token'], 'd.web');
  assert.match(String(req.headers['logplex-frame-id']), /^[0-9a-f-]{36}$/);
  assert.equal(Number(req.headers['logplex-msg-count']), req.count);
  assert.equal(req.headers.authorization, `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
  assert.equal(web.requests.reduce((n, r) => n + r.count, 0), web.messages.length, 'each batch once (the line numbers above are each there once)');

  // The stalled drain: it got a request, timed out, and dropped the oldest lines of a full buffer.
  await eventually(async () => {
    const st = stats(s, 'stall');
    assert.ok(st.dropped >= N - 400 - 500, JSON.stringify(st));
    assert.ok(st.failures >= 1);
  }, 10_000);
  assert.ok(stalled.requests.length >= 1);
  assert.equal(stats(s, 'tcp').dropped, 0);
  // Reported in the app's log, as Heroku's L10, and in the counters Prometheus reads.
  await eventually(async () => {
    const l10 = (await redis.xrange(`${prefix}:applog:shop`, '-', '+')).map(([, f]) => f.join(' ')).filter((l) => l.includes('Error L10'));
    assert.match(l10[0] ?? '', /source paas dyno logplex line Error L10 \(output buffer overflow\): \d+ messages dropped since \d{4}-\S+Z\./);
    const saved = JSON.parse((await redis.hget(drainStatsKey(prefix), 'stall'))!) as { dropped: number };
    assert.ok(saved.dropped > 0);
  }, 5000);
  // The L10 line itself reached the healthy drains, from procid logplex.
  await eventually(async () => assert.ok(tcp.messages.some((m) => parseSyslogMessage(m)!.procid === 'logplex' && m.includes('Error L10'))), 5000);
  // Credentials never reach paasd's log.
  assert.ok(logs.length > 0 && logs.some((l) => l.includes('d.stall') || l.includes('stall')), logs.join('\n'));
  assert.ok(!logs.join('\n').includes('s3cret') && !logs.join('\n').includes('k3y'), logs.join('\n'));

});

test('TLS is verified: without the extra CA the drain refuses the receiver\'s certificate and delivers nothing', async () => {
  const tlsR = await syslogReceiver(true);
  drains.push({ id: 'untrusted', app: 'verify', url: `syslog+tls://localhost:${tlsR.port}`, token: 'd.u' });
  const s = ship({ extraCa: [] });
  await eventually(async () => assert.equal(s.stats().length, 1), 5000);
  await write('verify', 3, 'secret-line');
  await eventually(async () => assert.match(stats(s, 'untrusted').lastError ?? '', /CERT|SIGNATURE|ISSUER/), 5000);
  assert.equal(tlsR.messages.length, 0);
});

test('a dead drain is retried with back-off until it answers; a restarted shipper resumes at its cursor, without loss or duplicates', async () => {
  const free = await syslogReceiver(false);
  const port = free.port;
  await free.close(); // nobody listens there now: connections are refused
  drains.push({ id: 'dead', app: 'resume', url: `syslog+tcp://127.0.0.1:${port}`, token: 'd.dead' });
  let s = ship();
  await eventually(async () => assert.equal(s.stats().length, 1), 5000);
  await write('resume', 10, 'early');
  await eventually(async () => assert.ok(stats(s, 'dead').failures >= 2, JSON.stringify(stats(s, 'dead'))), 5000);
  assert.equal(stats(s, 'dead').lastError, 'ECONNREFUSED');
  const back = await syslogReceiver(false, port);
  await eventually(async () => assert.deepEqual(numbered(back.messages, 'early'), range(10)), 5000);

  // paasd stops; lines keep coming; a new paasd ships exactly the ones it had not delivered.
  await s.close();
  await write('resume', 10, 'while-down');
  s = ship();
  await eventually(async () => assert.deepEqual(numbered(back.messages, 'while-down'), range(10)), 5000);
  await write('resume', 5, 'after');
  await eventually(async () => assert.deepEqual(numbered(back.messages, 'after'), range(5)), 5000);
  assert.deepEqual(numbered(back.messages, 'early'), range(10), 'nothing sent twice');
});

/** `entries` batch entries of `size` router lines each (as the router writes them), numbered on. */
const writeBatches = async (app: string, entries: number, size: number, tag: string): Promise<void> => {
  for (let e = 0; e < entries; e++) {
    const lines = range(size).map((i) => ({ time: new Date().toISOString(), line: `at=info ${tag} ${e * size + i}` }));
    await redis.xadd(appLogKey(prefix, app), '*', ...batchEntryFields('paas', 'router', lines));
  }
};

test('batch entries of router lines reach a drain line by line, in order, none dropped; a restarted shipper resumes after the last entry it delivered', async () => {
  const tcp = await syslogReceiver(false);
  drains.push({ id: 'batched', app: 'batched', url: `syslog+tcp://127.0.0.1:${tcp.port}`, token: 'd.b' });
  let s = ship();
  await eventually(async () => assert.equal(s.stats().length, 1), 5000);
  // 3000 lines in 15 entries, single lines between them: far more than the 400-line buffer.
  for (let k = 0; k < 3; k++) {
    await writeBatches('batched', 5, 200, `batch${k}`);
    await write('batched', 3, `single${k}`);
  }
  await eventually(async () => {
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(numbered(tcp.messages, `batch${k}`), range(1000));
      assert.deepEqual(numbered(tcp.messages, `single${k}`), range(3));
    }
  }, 10_000);
  assert.equal(stats(s, 'batched').dropped, 0);
  const router = parseSyslogMessage(tcp.messages.find((m) => m.endsWith('batch1 999'))!)!;
  assert.deepEqual({ ...router, time: '' }, { pri: 190, time: '', host: 'd.b', app: 'paas', procid: 'router', msg: 'at=info batch1 999' });
  assert.match(router.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // 1200 lines while paasd is down, read back at once: handed over a few entries per read, so the
  // 400-line buffer of a healthy drain never overflows.
  await s.close();
  await writeBatches('batched', 8, 150, 'while-down');
  s = ship();
  await eventually(async () => assert.deepEqual(numbered(tcp.messages, 'while-down'), range(1200)), 5000);
  assert.equal(stats(s, 'batched').dropped, 0);
  assert.deepEqual(numbered(tcp.messages, 'batch2'), range(1000), 'nothing sent twice');
});

test('a drain that delivered part of a batch entry keeps its cursor before that entry: a restarted shipper sends the whole entry again, losing none', async () => {
  const partial = await httpsReceiver((n) => n > 1); // answers the first request only
  drains.push({ id: 'partial', app: 'partial', url: `https://localhost:${partial.port}/logs`, token: 'd.part' });
  let s = ship({ batchLines: 50 });
  await eventually(async () => assert.equal(s.stats().length, 1), 5000);
  await writeBatches('partial', 1, 120, 'entry');
  await eventually(async () => assert.equal(stats(s, 'partial').sent, 50), 5000);
  await s.close();
  const tcp = await syslogReceiver(false);
  drains[0] = { ...drains[0], url: `syslog+tcp://127.0.0.1:${tcp.port}` };
  s = ship();
  await eventually(async () => assert.deepEqual(numbered(tcp.messages, 'entry'), range(120)), 5000);
});

test('a drain whose name resolves to a refused address connects nowhere (policy checked at connect time)', async () => {
  const tcp = await syslogReceiver(false);
  // The machine's own name resolves to 127.0.0.1: no literal to refuse when the drain is made.
  drains.push({ id: 'local', app: 'policy', url: `syslog+tcp://${os.hostname()}:${tcp.port}`, token: 'd.p' }, { id: 'literal', app: 'policy', url: `syslog+tcp://127.0.0.1:${tcp.port}`, token: 'd.l' });
  const s = ship({ policy: { allowPrivate: false } });
  await eventually(async () => assert.equal(s.stats().length, 2), 5000);
  await write('policy', 2, 'never');
  await eventually(async () => {
    assert.equal(stats(s, 'local').lastError, 'refused by the platform\'s address policy');
    assert.equal(stats(s, 'literal').lastError, 'refused by the platform\'s address policy');
  }, 5000);
  assert.equal(tcp.messages.length, 0);
});
