// Dyno output into the app log: paasd follows every dyno's stdout and stderr (the scheduler's
// output(), one follower for all apps) and appends each line to the app's log stream
// (common/app-log.ts) as `app[web.1]`, where `paas logs`, log drains and the kept history read
// it. Per dyno, the time of the last line appended is saved in Redis every second: a restarted
// paasd reads each dyno on from there (lines the engine still has are neither lost nor repeated).
// Appends are not awaited one by one; beyond MAX_PENDING unanswered ones (Redis away or slow),
// lines are dropped and counted in one line, so a flood of output cannot grow paasd's memory.
import type { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
import { errorMessage } from '../../common/errors.ts';
import { dynoOutputCursorsKey } from '../../common/redis-keys.ts';
import type { Scheduler } from '../scheduler/types.ts';

const MAX_PENDING = 10_000;
/** Cursors of dynos silent for this long are forgotten (their containers are long gone). */
const FORGET_MS = 7 * 86_400_000;

export interface DynoOutput {
  /** Saves the cursors now (else every second). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startDynoOutput(deps: {
  scheduler: Scheduler; redis: Redis; prefix: string; log: (line: string) => void;
  /** Past lines read from a dyno seen for the first time (default 1000). */
  backlog?: number;
  pollMs?: number;
}): Promise<DynoOutput> {
  const { redis, prefix, log } = deps;
  const key = dynoOutputCursorsKey(prefix);
  const cursors = new Map(Object.entries(await redis.hgetall(key).catch(() => ({} as Record<string, string>))));
  const changed = new Set<string>();
  const stop = new AbortController();
  let pending = 0;
  let dropped = 0;

  const running = deps.scheduler.output({
    signal: stop.signal, backlog: deps.backlog ?? 1000, pollMs: deps.pollMs,
    collected: (id) => cursors.get(id),
  }, (l) => {
    if (pending >= MAX_PENDING) { dropped++; return; }
    if (dropped > 0) {
      log(`dyno output: ${dropped} lines dropped while Redis did not keep up`);
      dropped = 0;
    }
    pending++;
    appendAppLog(redis, prefix, l.app, { time: new Date(Date.parse(l.time)).toISOString(), source: 'app', dyno: l.dyno, line: l.line })
      .then(() => {
        const cur = cursors.get(l.id);
        if (cur === undefined || l.time > cur) { cursors.set(l.id, l.time); changed.add(l.id); }
      }, () => { dropped++; })
      .finally(() => { pending--; });
  }).catch((err: unknown) => log(`dyno output: ${errorMessage(err)}`));

  async function flush(): Promise<void> {
    if (changed.size === 0) return;
    const now = Date.now();
    const fields = Object.fromEntries([...changed].map((id) => [id, cursors.get(id)!]));
    changed.clear();
    const old = [...cursors].filter(([, t]) => now - Date.parse(t) > FORGET_MS).map(([id]) => id);
    for (const id of old) cursors.delete(id);
    await redis.hset(key, fields);
    if (old.length) await redis.hdel(key, ...old);
  }
  const timer = setInterval(() => { flush().catch((err: unknown) => log(`dyno output: cursors not saved: ${errorMessage(err)}`)); }, 1000);

  return {
    flush,
    async close() {
      stop.abort();
      clearInterval(timer);
      await running;
      for (let i = 0; i < 50 && pending > 0; i++) await new Promise((r) => setTimeout(r, 20));
      await flush().catch(() => undefined);
    },
  };
}
