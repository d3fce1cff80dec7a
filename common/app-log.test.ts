// The app log's stream entries: single lines (app output, API, build lines) as before, router
// lines as batch entries; a tenant's CR or LF never makes more lines. The access logger against
// real Redis (a test prefix): one entry per app per flush, split at MAX_BATCH_LINES; flush().
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  accessLogger, appendAppLog, batchEntryFields, entriesFromFields, formatAccessLine, formatLogEntry, MAX_BATCH_CHARS, MAX_BATCH_LINES,
  type AccessRecord,
} from './app-log.ts';
import { appLogKey } from './redis-keys.ts';
import { testConfig } from '../test/helpers/config.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { removeRedisKeys } from '../test/helpers/redis-keys.ts';

const config = testConfig();
const prefix = config.redisPrefix;
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
after(async () => {
  await removeRedisKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

const T = '2026-11-26T14:00:00.123Z';
const record = (over: Partial<AccessRecord> = {}): AccessRecord => ({
  app: 'shop', dyno: 'web.1', method: 'GET', path: '/', status: 200, bytes: 12, durationMs: 3, requestId: 'req-0000000000000000001', host: 'shop.example.com', fwd: '10.0.0.1', protocol: 'http', ...over,
});

test('a single-line entry reads as before; a batch entry gives each of its lines with its own time', () => {
  assert.deepEqual(entriesFromFields(['time', T, 'source', 'app', 'dyno', 'web.1', 'line', 'listening on 5000']),
    [{ time: T, source: 'app', dyno: 'web.1', line: 'listening on 5000' }]);
  assert.deepEqual(entriesFromFields(['line', 'no source']), [{ time: '', source: 'api', dyno: '', line: 'no source' }]);
  const lines = [{ time: T, line: 'at=info path="/a"' }, { time: '2026-11-26T14:00:00.124Z', line: 'at=info path="/b c"' }];
  const fields = batchEntryFields('paas', 'router', lines);
  assert.deepEqual(fields, ['source', 'paas', 'dyno', 'router', 'lines', `${T} at=info path="/a"\n2026-11-26T14:00:00.124Z at=info path="/b c"`]);
  assert.deepEqual(entriesFromFields(fields), lines.map((l) => ({ ...l, source: 'paas', dyno: 'router' })));
});

test('a CR or LF in a line or in a hostile Host cannot forge lines', () => {
  const forged = 'at=info path="/"\n2026-11-26T14:00:00.000Z app[web.1]: forged\r\nmore';
  const entries = entriesFromFields(batchEntryFields('paas', 'router', [{ time: T, line: forged }, { time: T, line: 'next' }]));
  assert.equal(entries.length, 2);
  assert.equal(entries[0].line, 'at=info path="/"\\n2026-11-26T14:00:00.000Z app[web.1]: forged\\r\\nmore');
  assert.equal(entries[1].line, 'next');

  const line = formatAccessLine(record({ host: 'evil\r\n2026-11-26T14:00:00.000Z app[web.1]: forged', requestId: 'id x\n', method: 'GET status=500', path: '/\r\nx', fwd: '1.2.3.4\n', dyno: 'web.1\r\nforged' }));
  assert.doesNotMatch(line, /[\r\n]/);
  assert.match(line, / method="GET status=500" path="\/\\r\\nx" host="evil\\r\\n2026-11-26T14:00:00\.000Z app\[web\.1\]: forged" request_id="id x\\n" fwd="1\.2\.3\.4\\n" /);
  // A plain host and id stay bare, as Heroku prints them.
  assert.match(formatAccessLine(record()), /^at=info method=GET path="\/" host=shop\.example\.com request_id=req-0000000000000000001 fwd="10\.0\.0\.1" dyno=web\.1 connect=0ms service=3ms status=200 bytes=12 protocol=http$/);
});

test('the access logger writes one entry per app per flush, at most MAX_BATCH_LINES lines each, and loses none', async () => {
  const log = accessLogger(redis, prefix);
  await appendAppLog(redis, prefix, 'shop', { source: 'app', dyno: 'web.1', line: 'before' });
  const n = MAX_BATCH_LINES * 2 + 5;
  for (let i = 0; i < n; i++) log(record({ path: `/${i}` }));
  log(record({ app: 'other', path: '/other' }));
  log(record({ app: null, path: '/no-app' }));
  const rows = async (app: string) => redis.xrange(appLogKey(prefix, app), '-', '+');
  await eventually(async () => assert.equal((await rows('shop')).length, 4), 5000);
  const shop = await rows('shop');
  assert.deepEqual(shop.map(([, f]) => entriesFromFields(f).length), [1, MAX_BATCH_LINES, MAX_BATCH_LINES, 5]);
  const lines = shop.flatMap(([, f]) => entriesFromFields(f));
  assert.deepEqual(lines.slice(1).map((e) => /path="([^"]*)"/.exec(e.line)![1]), Array.from({ length: n }, (_, i) => `/${i}`));
  assert.match(formatLogEntry(lines[1]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z paas\[router\]: at=info method=GET path="\/0" /);
  assert.deepEqual((await rows('other')).map(([, f]) => entriesFromFields(f).map((e) => e.line.includes('/other'))), [[true]]);

  // flush() (a stopping router worker) writes what waits at once, before the window ends.
  const slow = accessLogger(redis, prefix, 60_000);
  slow(record({ app: 'stopping', path: '/last' }));
  await slow.flush();
  assert.deepEqual((await rows('stopping')).flatMap(([, f]) => entriesFromFields(f)).map((e) => /path="([^"]*)"/.exec(e.line)![1]), ['/last']);

  // Long lines: an entry stays about MAX_BATCH_CHARS.
  const long = '/'.padEnd(8000, 'x');
  for (let i = 0; i < 20; i++) log(record({ app: 'long', path: long }));
  await eventually(async () => assert.equal((await rows('long')).flatMap(([, f]) => entriesFromFields(f)).length, 20), 5000);
  for (const [, f] of await rows('long')) assert.ok(f[f.indexOf('lines') + 1].length <= MAX_BATCH_CHARS, 'entry within the cap');
  assert.ok((await rows('long')).length >= 3);
});

test('a written batch is let go: the XADD commands keep no lines once Redis has answered', async () => {
  // ioredis keeps finished commands reachable to V8's young-generation GC; a command still
  // holding its 64 KiB of lines made every batch survive and be promoted (docs/router-speed.md).
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const sent = new Set<{ name: string; args: unknown[] }>(); // a command queued before the connection is ready is sent twice
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((cmd: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => {
    sent.add(cmd);
    return send(cmd, ...(rest as []));
  }) as Redis['sendCommand'];
  try {
    const log = accessLogger(client, prefix, 60_000);
    for (let i = 0; i < MAX_BATCH_LINES + 3; i++) log(record({ app: 'letgo', path: `/${i}` }));
    log(record({ app: 'letgo-2', path: '/x' }));
    await log.flush();
    const xadds = [...sent].filter((c) => c.name === 'xadd');
    assert.equal(xadds.length, 3, 'one XADD per batch');
    for (const c of xadds) assert.deepEqual(c.args, [], 'arguments dropped once answered');
    const lines = (await redis.xrange(appLogKey(prefix, 'letgo'), '-', '+')).flatMap(([, f]) => entriesFromFields(f));
    assert.equal(lines.length, MAX_BATCH_LINES + 3, 'and every line is in the stream');
  } finally {
    client.disconnect();
  }
});
