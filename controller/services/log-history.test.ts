// The kept log: an app's stream trimmed to a byte budget (newest lines kept), surviving a Redis
// crash (a private redis-server with the AOF, as bin/setup runs it), and `paas logs -n 1500`
// (the API's log-stream) answering 1500 lines, filtered ones looked for beyond the newest 2000.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
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
});
