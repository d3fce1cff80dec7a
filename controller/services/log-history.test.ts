// The kept log: an app's stream trimmed to a byte budget (newest lines kept), surviving a Redis
// crash (a private redis-server with the AOF, as bin/setup runs it), and `paas logs -n 1500`
// (the API's log-stream) answering 1500 lines, filtered ones looked for beyond the newest 2000,
// exactly N lines when router lines come as batch entries, and a tail that gives each of them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { appendAppLog, batchEntryFields, entriesFromFields } from '../../common/app-log.ts';
import { appLogKey } from '../../common/redis-keys.ts';
import { startPrivateRedis, type PrivateRedis } from '../../test/helpers/private-redis.ts';
import { suitePlatform } from '../http/api.test-support.ts';
import { trimAppLog } from './log-history.ts';

async function fill(redis: Redis, prefix: string, app: string, n: number, line: (i: number) => { source: string; dyno: string; line: string }): Promise<void> {
  const p = redis.pipeline();
  for (let i = 0; i < n; i++) {
    const e = line(i);
    p.xadd(appLogKey(prefix, app), '*', 'time', new Date(Date.UTC(2026, 10, 26, 14, 0, 0, i)).toISOString(), 'source', e.source, 'dyno', e.dyno, 'line', e.line);
  }
  await p.exec();
}

describe('kept history in a Redis of its own', () => {
  let server: PrivateRedis;
  let redis: Redis;
  before(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    redis.disconnect();
    await server.destroy();
  });

  test('a stream over its byte budget loses its oldest lines, keeps the newest, and survives a Redis crash', async () => {
    const key = appLogKey('p', 'big');
    await fill(redis, 'p', 'big', 3000, (i) => ({ source: 'app', dyno: 'web.1', line: `line ${i} ${'x'.repeat(150)}` }));
    const budget = 200 * 1024;
    assert.ok(Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) > budget);
    const removed = await trimAppLog(redis, key, budget);
    assert.ok(removed > 0);
    assert.ok(Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) <= budget);
    const kept = (await redis.xrange(key, '-', '+')).map(([, f]) => Number(/line (\d+)/.exec(f[7])![1]));
    assert.equal(kept.at(-1), 2999);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 3000 - kept.length + i), 'the newest, in order, none missing');
    assert.equal(await trimAppLog(redis, key, budget), 0, 'under budget: untouched');

    await server.stop('SIGKILL');
    await server.start();
    await appendAppLog(redis, 'p', 'big', { source: 'app', dyno: 'web.1', line: 'after the crash' });
    const back = await redis.xrange(key, '-', '+');
    assert.equal(back.length, kept.length + 1);
    assert.equal(back.at(-1)![1][7], 'after the crash');
  });
});

describe('paas logs -n 1500', () => {
  const p = suitePlatform({ app: 'chatty' });
  let redis: Redis;
  before(() => { redis = new Redis(p.config.redisUrl); });
  after(() => redis.disconnect());

  test('1500 lines of history; a dyno filter looks back past the newest 2000 lines', async () => {
    await fill(redis, p.config.redisPrefix, 'chatty', 6000, (i) => (i % 10 === 0
      ? { source: 'app', dyno: 'web.1', line: `web ${i}` }
      : { source: 'paas', dyno: 'router', line: `at=info path="/${i}"` }));
    const all = await p.api().get('/apps/chatty/log-stream?lines=1500').set('authorization', p.auth).expect(200);
    const lines = all.text.trimEnd().split('\n');
    assert.equal(lines.length, 1500);
    assert.match(lines.at(-1)!, /^2026-11-26T14:00:05\.999Z paas\[router\]: at=info path="\/5999"$/);
    const web = (await p.api().get('/apps/chatty/log-stream?lines=1500&dyno=web').set('authorization', p.auth).expect(200)).text.trimEnd().split('\n');
    assert.equal(web.length, 600);
    assert.match(web[0], /app\[web\.1\]: web 0$/);
    assert.match(web.at(-1)!, /app\[web\.1\]: web 5990$/);
    await p.api().get('/apps/chatty/log-stream?lines=1501').set('authorization', p.auth).expect(422);
  });

  test('with router lines in batch entries, -n N is exactly the last N lines, filters and the tail give every line', async () => {
    await p.api().post('/apps').set('authorization', p.auth).send({ name: 'batched' }).expect(201);
    // Entries of 1 to 200 router lines (as the router writes them), single app lines between.
    const key = appLogKey(p.config.redisPrefix, 'batched');
    const want: string[] = [];
    let n = 0;
    const at = (i: number) => new Date(Date.UTC(2026, 10, 26, 15, 0, 0) + i).toISOString();
    for (const size of [1, 200, 3, 57, 200, 200, 1, 120, 200, 13]) {
      const lines = Array.from({ length: size }, () => ({ time: at(n), line: `at=info path="/${n++}"` }));
      await redis.xadd(key, '*', ...batchEntryFields('paas', 'router', lines));
      want.push(...lines.map((l) => `${l.time} paas[router]: ${l.line}`));
      await appendAppLog(redis, p.config.redisPrefix, 'batched', { time: at(n), source: 'app', dyno: 'web.1', line: `web ${n++}` });
      want.push(`${at(n - 1)} app[web.1]: web ${n - 1}`);
    }
    const get = async (query: string): Promise<string[]> => {
      const text = (await p.api().get(`/apps/batched/log-stream?${query}`).set('authorization', p.auth).expect(200)).text;
      return text === '' ? [] : text.trimEnd().split('\n');
    };
    for (const lines of [0, 1, 2, 150, 201, 1005, 1500]) assert.deepEqual(await get(`lines=${lines}`), want.slice(want.length - Math.min(lines, want.length)), `lines=${lines}`);
    assert.deepEqual(await get('lines=1500&source=paas'), want.filter((l) => l.includes('paas[router]')));
    assert.deepEqual(await get('lines=7&dyno=web'), want.filter((l) => l.includes('app[web.1]')).slice(-7));

    // Following: a batch entry written after the history gives each of its lines.
    const abort = new AbortController();
    const res = await fetch(`${p.ctl.url}/apps/batched/log-stream?lines=1&tail=true`, { headers: { authorization: p.auth }, signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    const readLines = async (count: number): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (text.split('\n').length <= count && Date.now() < deadline) text += Buffer.from((await reader.read()).value ?? []).toString();
    };
    await readLines(1); // the history is read: what comes next is followed
    const tail = Array.from({ length: 3 }, (_, i) => ({ time: at(n + i), line: `at=info path="/tail${i}"` }));
    await redis.xadd(key, '*', ...batchEntryFields('paas', 'router', tail));
    await readLines(4);
    abort.abort();
    assert.deepEqual(text.trimEnd().split('\n'), [want.at(-1), ...tail.map((l) => `${l.time} paas[router]: ${l.line}`)]);
  });
});

test('a stream of batch entries is trimmed to its byte budget too, keeping the newest lines', async () => {
  const server = await startPrivateRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const key = appLogKey('p', 'routed');
    for (let e = 0; e < 100; e++) {
      const lines = Array.from({ length: 50 }, (_, i) => ({ time: '2026-11-26T14:00:00.000Z', line: `at=info path="/${e * 50 + i}" ${'x'.repeat(100)}` }));
      await redis.xadd(key, '*', ...batchEntryFields('paas', 'router', lines));
    }
    const budget = 200 * 1024;
    assert.ok(Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) > budget);
    assert.ok(await trimAppLog(redis, key, budget) > 0);
    assert.ok(Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) <= budget);
    const kept = (await redis.xrange(key, '-', '+')).flatMap(([, f]) => entriesFromFields(f)).map((e) => Number(/path="\/(\d+)"/.exec(e.line)![1]));
    assert.ok(kept.length >= 500, `${kept.length} lines kept`);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 5000 - kept.length + i), 'the newest, in order, none missing');
  } finally {
    redis.disconnect();
    await server.destroy();
  }
});
