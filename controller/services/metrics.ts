// Reads an app's metrics history (common/metrics-ring.ts) as API points: the router's counts
// and latency histogram, and the dyno collector's samples (dyno-metrics.ts), joined by period;
// periods with no record are zero (no requests) and list no dynos.
import type { Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { BUCKETS, percentileMs } from '../../common/latency-histogram.ts';
import { periodStart, readRing, RESOLUTIONS, type RingRecord } from '../../common/metrics-ring.ts';
import type { MetricsPoint, MetricsSchema } from '../http/schemas/metrics.ts';

type Point = Static<typeof MetricsPoint>;
type DynoPoint = Point['dynos'][number];

const num = (r: RingRecord | undefined, k: string): number => Number(r?.[k] ?? 0);

export interface MetricsQuery {
  /** Seconds per point (60 or 600). */
  step: number;
  /** Epoch ms of the first period wanted. */
  sinceMs: number;
  nowMs?: number;
}

export async function readMetrics(redis: Redis, prefix: string, app: string, q: MetricsQuery): Promise<Static<typeof MetricsSchema>> {
  const res = RESOLUTIONS.find((r) => r.step === q.step)!;
  const now = periodStart(q.nowMs ?? Date.now(), q.step);
  const first = Math.max(periodStart(q.sinceMs, q.step), now - (res.slots - 1) * q.step);
  const [router, dynos] = await Promise.all([
    readRing(redis, prefix, app, 'router', q.step, first),
    readRing(redis, prefix, app, 'dynos', q.step, first),
  ]);
  const routerAt = new Map(router.map((r) => [r.t, r]));
  const dynosAt = new Map(dynos.map((r) => [r.t, r]));
  const points: Point[] = [];
  for (let t = first; t <= now; t += q.step) points.push(point(t, q.step, routerAt.get(t), dynosAt.get(t)));
  return { app, resolution: q.step, since: new Date(first * 1000).toISOString(), points };
}

function point(t: number, step: number, r: RingRecord | undefined, d: RingRecord | undefined): Point {
  const requests = num(r, 'req');
  const counts = Array.from({ length: BUCKETS.length + 1 }, (_, i) => num(r, `h${i}`));
  return {
    time: new Date(t * 1000).toISOString(),
    requests,
    requests_per_second: Math.round((requests / step) * 1000) / 1000,
    status: { '1xx': num(r, 's1xx'), '2xx': num(r, 's2xx'), '3xx': num(r, 's3xx'), '4xx': num(r, 's4xx'), '5xx': num(r, 's5xx') },
    bytes: num(r, 'bytes'),
    latency_ms: {
      p50: percentileMs(counts, 0.5), p95: percentileMs(counts, 0.95), p99: percentileMs(counts, 0.99),
      mean: requests > 0 ? Math.round((num(r, 'ms') / requests) * 10) / 10 : null,
    },
    dynos: d ? dynoPoints(d) : [],
  };
}

function dynoPoints(d: RingRecord): DynoPoint[] {
  const names = new Set(Object.keys(d).filter((k) => k.endsWith('|state')).map((k) => k.slice(0, -'|state'.length)));
  return [...names].sort().map((name) => {
    const n = num(d, `${name}|n`);
    const mem = d[`${name}|mem`];
    const limit = d[`${name}|limit`];
    return {
      name,
      state: String(d[`${name}|state`]),
      cpu_percent: n > 0 ? Math.round((num(d, `${name}|cpu`) / n) * 10) / 10 : null,
      memory_bytes: mem === undefined ? null : Number(mem),
      memory_limit_bytes: limit === undefined ? null : Number(limit),
      restarts: num(d, `${name}|restarts`),
    };
  });
}
