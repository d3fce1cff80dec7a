// Per-app metrics kept at a fixed cost: one Redis hash per app, source and resolution, with a
// fixed number of slots (24 h of minutes, 7 days of 10 minutes). A slot holds one period's
// record as a flat JSON object; a write to a slot still holding an older period starts it
// afresh, so the hash never grows past its slot count. Writers from several processes (router
// workers, the controller) merge into the same record atomically (one Lua script).
import type { Redis } from 'ioredis';
import { metricsKey } from './redis-keys.ts';

export interface Resolution {
  /** Seconds per point. */
  step: number;
  /** Points kept. */
  slots: number;
}

export const RESOLUTIONS: readonly Resolution[] = [
  { step: 60, slots: 24 * 60 },
  { step: 600, slots: 7 * 24 * 6 },
];

/** A write: counters added, gauges kept at their maximum, values replaced. */
export interface RingUpdate {
  add?: Record<string, number>;
  max?: Record<string, number>;
  set?: Record<string, number | string>;
}

export type RingRecord = Record<string, number | string> & { t: number };

const MERGE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local rec = cur and cjson.decode(cur) or nil
local t = tonumber(ARGV[2])
if not rec or rec.t ~= t then rec = { t = t } end
local u = cjson.decode(ARGV[3])
if u.add then for k, v in pairs(u.add) do rec[k] = (tonumber(rec[k]) or 0) + v end end
if u.max then for k, v in pairs(u.max) do local c = tonumber(rec[k]); if not c or v > c then rec[k] = v end end end
if u.set then for k, v in pairs(u.set) do rec[k] = v end end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
return 1
`;

/** Start (epoch s) of the period of `step` seconds that holds `timeMs`. */
export const periodStart = (timeMs: number, step: number): number => Math.floor(timeMs / 1000 / step) * step;

/** Merges one update into the records of every resolution for the period holding `timeMs`. */
export async function writeRing(redis: Redis, prefix: string, app: string, source: string, timeMs: number, update: RingUpdate): Promise<void> {
  const body = JSON.stringify(update);
  const multi = redis.multi();
  for (const { step, slots } of RESOLUTIONS) {
    const t = periodStart(timeMs, step);
    multi.eval(MERGE, 1, metricsKey(prefix, app, source, step), String((t / step) % slots), String(t), body);
  }
  await multi.exec();
}

/** The records of periods starting at or after `sinceS` (epoch s), oldest first. */
export async function readRing(redis: Redis, prefix: string, app: string, source: string, step: number, sinceS: number): Promise<RingRecord[]> {
  const res = RESOLUTIONS.find((r) => r.step === step);
  if (!res) throw new Error(`no resolution of ${step} s`);
  const oldest = periodStart(Date.now(), step) - (res.slots - 1) * step;
  const all = Object.values(await redis.hgetall(metricsKey(prefix, app, source, step)));
  return all.map((v) => JSON.parse(v) as RingRecord)
    .filter((r) => r.t >= sinceS && r.t >= oldest)
    .sort((a, b) => a.t - b.t);
}

/** Removes an app's metrics (apps:destroy). */
export async function deleteRings(redis: Redis, prefix: string, app: string): Promise<void> {
  await redis.del(...ringKeys(prefix, app));
}

const ringKeys = (prefix: string, app: string): string[] => RESOLUTIONS.flatMap(({ step }) => ['router', 'dynos'].map((s) => metricsKey(prefix, app, s, step)));

/** Moves an app's metrics to its new name (apps:rename). */
export async function renameRings(redis: Redis, prefix: string, from: string, to: string): Promise<void> {
  const [old, next] = [ringKeys(prefix, from), ringKeys(prefix, to)];
  for (let i = 0; i < old.length; i++) if (await redis.exists(old[i])) await redis.rename(old[i], next[i]);
}
