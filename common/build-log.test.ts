// The build log's writer and reader against a real Redis: the builder's part ends at `end`, the
// whole log (with the controller's lines after it) at `done`; a reader follows lines as they come.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createBuildLogWriter, followBuildLog } from './build-log.ts';
import { loadConfig } from './config.ts';
import { buildLogKey } from './redis-keys.ts';

const redis = new Redis(loadConfig(process.env).redisUrl, { maxRetriesPerRequest: null });
const prefix = `paastest-${randomBytes(4).toString('hex')}`;
after(async () => { await redis.del(buildLogKey(prefix, 'b1'), buildLogKey(prefix, 'b2')); redis.disconnect(); });

test('a reader follows the builder part to `end` and the whole log to `done`, live', async () => {
  const builder = createBuildLogWriter(redis, prefix, 'b1');
  const controller = createBuildLogWriter(redis, prefix, 'b1');
  builder.line('-----> Building');
  await builder.flush();
  const whole: string[] = [];
  const following = followBuildLog(redis, prefix, 'b1', { until: 'done', finished: () => false }, (l) => whole.push(l));
  await new Promise((r) => setTimeout(r, 50));
  builder.line('       compiled');
  await builder.end('succeeded');
  const part: string[] = [];
  await followBuildLog(redis, prefix, 'b1', { until: 'end', finished: () => false }, (l) => part.push(l));
  assert.deepEqual(part, ['-----> Building', '       compiled']);
  controller.line('-----> Releasing v2');
  await controller.done();
  await following;
  assert.deepEqual(whole, ['-----> Building', '       compiled', '-----> Releasing v2']);
  assert.ok((await redis.ttl(buildLogKey(prefix, 'b1'))) > 0);
});

test('a reader stops when the stream is idle and finished() says nothing more comes, or on abort', async () => {
  const lines: string[] = [];
  createBuildLogWriter(redis, prefix, 'b2').line('only line');
  await followBuildLog(redis, prefix, 'b2', { until: 'done', finished: () => true }, (l) => lines.push(l));
  assert.deepEqual(lines, ['only line']);
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 100);
  await followBuildLog(redis, prefix, 'b2', { until: 'done', finished: () => false, signal: abort.signal }, () => undefined);
});
