// Per-app request metrics for the stored history (common/metrics-ring.ts): each worker adds up
// its requests per app and minute in memory and merges them into Redis every few seconds, so
// the cost is per app and flush, never per request. Counters only (requests by status class,
// bytes, latency histogram over common/latency-histogram.ts's BUCKETS): percentiles are read from the sum
// of every worker's histograms.
import type { Redis } from 'ioredis';
import { writeRing } from '../common/metrics-ring.ts';
import type { AccessEntry } from './access.ts';
import { BUCKETS, bucketIndex } from '../common/latency-histogram.ts';

export interface MinuteRecorder {
  record(entry: AccessEntry): void;
  /** Writes what was counted so far. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

/** Counters of one app and minute, in a fixed layout (no per-request strings or objects):
 *  requests, bytes, milliseconds, status classes 1xx…5xx, then the histogram buckets. */
const REQ = 0, BYTES = 1, MS = 2, CLASS = 3, HIST = 8;
const SIZE = HIST + BUCKETS.length + 1;

function fields(c: Float64Array): Record<string, number> {
  const out: Record<string, number> = { req: c[REQ], bytes: c[BYTES], ms: c[MS] };
  for (let k = 0; k < 5; k++) if (c[CLASS + k] > 0) out[`s${k + 1}xx`] = c[CLASS + k];
  for (let i = 0; i <= BUCKETS.length; i++) if (c[HIST + i] > 0) out[`h${i}`] = c[HIST + i];
  return out;
}

export function startMinuteRecorder(opts: { redis: Redis; prefix: string; flushMs?: number; log: (line: string) => void }): MinuteRecorder {
  /** minute start (ms) → app → counters */
  let pending = new Map<number, Map<string, Float64Array>>();
  let minute = -1;
  let apps = new Map<string, Float64Array>();
  const record = (entry: AccessEntry): void => {
    if (entry.app === null) return;
    const now = Date.now();
    if (now - minute >= 60_000 || now < minute) {
      minute = now - (now % 60_000);
      apps = pending.get(minute) ?? new Map();
      pending.set(minute, apps);
    }
    let c = apps.get(entry.app);
    if (c === undefined) apps.set(entry.app, c = new Float64Array(SIZE));
    c[REQ] += 1;
    c[BYTES] += entry.bytes;
    c[MS] += entry.durationMs;
    const cls = Math.floor(entry.status / 100);
    if (cls >= 1 && cls <= 5) c[CLASS + cls - 1] += 1;
    c[HIST + bucketIndex(entry.durationMs / 1000)] += 1;
  };
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = new Map();
    minute = -1; // the next request starts a fresh map
    const writes: Promise<void>[] = [];
    for (const [start, counted] of batch) {
      for (const [app, c] of counted) writes.push(writeRing(opts.redis, opts.prefix, app, 'router', start, { add: fields(c) }));
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
