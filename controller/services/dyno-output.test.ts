// The service that puts dyno output into the app log: lines land in the app's stream as
// app[<dyno>], and a restarted paasd hands the scheduler each dyno's last collected time.
// The scheduler side (Docker's since, restarts, new dynos) is in the scheduler contract tests;
// here a scheduler twin emits what a real one would.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { entriesFromFields } from '../../common/app-log.ts';
import { appLogKey } from '../../common/redis-keys.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { removeRedisKeys } from '../../test/helpers/redis-keys.ts';
import type { DynoOutputLine, OutputOptions, Scheduler } from '../scheduler/types.ts';
import { startDynoOutput } from './dyno-output.ts';

const config = testConfig();
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
after(async () => { await removeRedisKeys(redis, `${config.redisPrefix}:*`); redis.disconnect(); });

/** A scheduler whose dynos printed `lines`; output() emits those after what was collected. */
function twin(lines: DynoOutputLine[], seen: Array<string | undefined>): Scheduler {
  return {
    async output(opts: OutputOptions, emit: (l: DynoOutputLine) => void) {
      seen.push(opts.collected('c1'));
      for (const l of lines) {
        const after = opts.collected(l.id);
        if (!after || l.time > after) emit(l);
      }
      await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true }));
    },
  } as unknown as Scheduler;
}

const line = (n: number): DynoOutputLine => ({ id: 'c1', app: 'out', dyno: 'web.1', time: `2026-11-26T14:00:0${n}.123456789Z`, line: `hello ${n}` });

test('dyno output goes to the app log, and a restart resumes after the last line collected', async () => {
  const read = async () => (await redis.xrange(appLogKey(config.redisPrefix, 'out'), '-', '+')).flatMap(([, f]) => entriesFromFields(f));
  const seen: Array<string | undefined> = [];
  let out = await startDynoOutput({ scheduler: twin([line(1), line(2)], seen), redis, prefix: config.redisPrefix, log: () => undefined });
  for (let i = 0; i < 50 && (await read()).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  await out.close();
  assert.deepEqual(await read(), [
    { time: '2026-11-26T14:00:01.123Z', source: 'app', dyno: 'web.1', line: 'hello 1' },
    { time: '2026-11-26T14:00:02.123Z', source: 'app', dyno: 'web.1', line: 'hello 2' },
  ]);

  out = await startDynoOutput({ scheduler: twin([line(1), line(2), line(3)], seen), redis, prefix: config.redisPrefix, log: () => undefined });
  for (let i = 0; i < 50 && (await read()).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  await out.close();
  assert.deepEqual(seen, [undefined, '2026-11-26T14:00:02.123456789Z']);
  assert.deepEqual((await read()).map((e) => e.line), ['hello 1', 'hello 2', 'hello 3'], 'nothing lost, nothing twice');
});
