// The latest sample of every dyno, shared from paasd's collector (controller/services/
// dyno-metrics.ts) to the router's admin listener, which serves it as Prometheus gauges. One
// Redis hash, replaced whole at each sample and expiring soon after: a stopped collector's
// numbers disappear instead of staying frozen.
import type { Redis } from 'ioredis';
import { dynoUsageKey } from './redis-keys.ts';

export interface DynoUsageSample {
  app: string;
  dyno: string;
  state: string;
  cpuPercent: number | null;
  memory: number | null;
  memoryLimit: number | null;
  /** Restarts seen since paasd started (a counter). */
  restarts: number;
}

/** Samples older than this are gone (three missed samples of 10 s). */
const TTL_S = 35;

export async function publishDynoUsage(redis: Redis, prefix: string, samples: DynoUsageSample[]): Promise<void> {
  const key = dynoUsageKey(prefix);
  const multi = redis.multi().del(key);
  if (samples.length > 0) {
    multi.hset(key, Object.fromEntries(samples.map((s) => [`${s.app}/${s.dyno}`, JSON.stringify(s)])));
    multi.expire(key, TTL_S);
  }
  await multi.exec();
}

export async function readDynoUsage(redis: Redis, prefix: string): Promise<DynoUsageSample[]> {
  return Object.values(await redis.hgetall(dynoUsageKey(prefix))).map((v) => JSON.parse(v) as DynoUsageSample);
}
