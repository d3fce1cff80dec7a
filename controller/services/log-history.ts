// The kept history of each app's log: the app log stream (common/app-log.ts) itself, kept to
// about `maxBytes` of Redis memory per app (PAAS_LOG_HISTORY_MB). Every XADD caps the stream at
// APP_LOG_MAX_ENTRIES (cheap, by count); this trimmer, in paasd, measures each app's stream
// (MEMORY USAGE) every `intervalMs` and trims the oldest entries of one that is larger.
// Redis's append-only file keeps the streams across Redis restarts (bin/setup runs Redis with
// appendonly yes), and they never lived in paasd: `paas logs -n 1500` works after either restarts.
import type { Redis } from 'ioredis';
import { errorMessage } from '../../common/errors.ts';
import { appLogKey } from '../../common/redis-keys.ts';

/** Trims one stream to at most about `maxBytes`; returns the entries removed. */
export async function trimAppLog(redis: Redis, key: string, maxBytes: number): Promise<number> {
  const used = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') ?? 0);
  if (!(used > maxBytes)) return 0;
  const len = await redis.xlen(key);
  // Entries are of about equal size: keep the share that fits, a little under.
  const keep = Math.max(0, Math.floor(len * (maxBytes / used) * 0.95));
  return redis.xtrim(key, 'MAXLEN', keep);
}

export interface LogHistory {
  trimOnce(): Promise<void>;
  close(): void;
}

export function startLogHistory(deps: {
  redis: Redis; prefix: string; apps: () => string[]; maxBytes: number; intervalMs?: number; log: (line: string) => void;
}): LogHistory {
  let failing = false;
  async function trimOnce(): Promise<void> {
    for (const app of deps.apps()) {
      try {
        await trimAppLog(deps.redis, appLogKey(deps.prefix, app), deps.maxBytes);
        failing = false;
      } catch (err) {
        if (!failing) deps.log(`log history: ${app} not trimmed: ${errorMessage(err)}`);
        failing = true;
      }
    }
  }
  const timer = setInterval(() => void trimOnce(), deps.intervalMs ?? 30_000);
  return { trimOnce, close: () => clearInterval(timer) };
}
