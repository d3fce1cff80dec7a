// A build cannot fill Redis (and the build log file that follows it) through its output: lines
// are cut, bytes capped, and lines printed faster than Redis takes them are dropped. Real Redis.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createBuildLogWriter } from './build-log.ts';
import { loadConfig } from './config.ts';
import { buildLogKey } from './redis-keys.ts';

const redis = new Redis(loadConfig(process.env).redisUrl, { maxRetriesPerRequest: null });
const prefix = `paastest-${randomBytes(4).toString('hex')}`;
after(async () => { await redis.del(buildLogKey(prefix, 'big'), buildLogKey(prefix, 'fast')); redis.disconnect(); });

async function stored(id: string): Promise<string[]> {
  const rows = await redis.xrange(buildLogKey(prefix, id), '-', '+');
  return rows.flatMap(([, f]) => (f[0] === 'line' ? [f[1]] : []));
}

test('a build printing 40 MiB keeps at most the byte limit, in lines of bounded length, and the platform\'s last word', async () => {
  const log = createBuildLogWriter(redis, prefix, 'big', { maxBytes: 1024 * 1024 });
  const long = 'y'.repeat(10_000);
  for (let i = 0; i < 4096; i++) log.line(long);
  log.line(' !     Push rejected, failed to build big.');
  await log.end('failed');
  const lines = await stored('big');
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  assert.ok(bytes <= 1024 * 1024 + 200, `${bytes} bytes kept`);
  assert.ok(lines.every((l) => l.length <= 4096 + ' [line truncated]'.length));
  assert.match(lines.at(-2) ?? '', /longer than 1 MiB/);
  assert.equal(lines.at(-1), ' !     Push rejected, failed to build big.');
});

test('lines printed faster than Redis stores them are dropped and counted, not queued without end', async () => {
  const log = createBuildLogWriter(redis, prefix, 'fast', { maxPending: 100 });
  for (let i = 0; i < 20_000; i++) log.line(`line ${i}`);
  await log.flush();
  log.line('after the burst');
  await log.end('succeeded');
  const lines = await stored('fast');
  assert.ok(lines.length < 20_000, `${lines.length} lines kept`);
  assert.match(lines.at(-2) ?? '', /^ !     \d+ log lines were dropped/);
  assert.equal(lines.at(-1), 'after the burst');
});
