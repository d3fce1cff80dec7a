// Per-app request metrics for the stored history (common/metrics-ring.ts): each worker adds up
// its requests per app and minute in memory and merges them into Redis every few seconds, so
// the cost is per app and flush, never per request. Counters only (requests by status class,
// bytes, latency histogram over common/latency-histogram.ts's BUCKETS): percentiles are read from the sum
// of every worker's histograms.
import type { Redis } from 'ioredis';
import { writeRing } from '../common/metrics-ring.ts';
import type { AccessEntry } from './access.ts';
import { bucketIndex } from '../common/latency-histogram.ts';

export interface MinuteRecorder {
  record(entry: AccessEntry): void;
  /** Writes what was counted so far. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

type Counts = Record<string, number>;

export function startMinuteRecorder(opts: { redis: Redis; prefix: string; flushMs?: number; log: (line: string) => void }): MinuteRecorder {
  /** minute start (ms) → app → counters */
  let pending = new Map<number, Map<string, Counts>>();
  const record = (entry: AccessEntry): void => {
    if (entry.app === null) return;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    let apps = pending.get(minute);
    if (!apps) pending.set(minute, apps = new Map());
    let c = apps.get(entry.app);
    if (!c) apps.set(entry.app, c = { req: 0, bytes: 0, ms: 0 });
    const cls = `s${Math.floor(entry.status / 100)}xx`;
    c.req += 1;
    c[cls] = (c[cls] ?? 0) + 1;
    c.bytes += entry.bytes;
    c.ms += entry.durationMs;
    const i = bucketIndex(entry.durationMs / 1000);
    c[`h${i}`] = (c[`h${i}`] ?? 0) + 1;
  };
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = new Map();
    const writes: Promise<void>[] = [];
    for (const [minute, apps] of batch) {
      for (const [app, add] of apps) writes.push(writeRing(opts.redis, opts.prefix, app, 'router', minute, { add }));
    }
    const results = await Promise.allSettled(writes);
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) opts.log(`metrics: ${failed} app record(s) not stored (Redis unreachable?); those counts are dropped`);
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 10_000);
  timer.unref();
  return {
    record,
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
