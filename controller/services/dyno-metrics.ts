// The dyno collector: every 10 s, each dyno's CPU (% of one core since the last sample),
// memory (used and limit), state and restarts, from the scheduler's list and the containers'
// cgroup files (dyno-stats.ts). Each sample is merged into the app's "dynos" ring
// (common/metrics-ring.ts): CPU summed with a sample count (the API averages), memory at its
// maximum, state and limit as last seen, restarts added. The latest sample per dyno is kept in
// memory for `paas ps` and published for the router's Prometheus endpoint (common/dyno-usage.ts).
import type { Redis } from 'ioredis';
import { publishDynoUsage, type DynoUsageSample } from '../../common/dyno-usage.ts';
import { errorMessage } from '../../common/errors.ts';
import { writeRing, type RingUpdate } from '../../common/metrics-ring.ts';
import type { Dyno, Scheduler } from '../scheduler/types.ts';
import { readCgroup, type CgroupSample } from './dyno-stats.ts';

export interface DynoUsage {
  cpuPercent: number | null;
  memory: number | null;
  memoryLimit: number | null;
}

export interface DynoMetrics {
  /** The last sample of an app's dynos, by dyno name. */
  latest(app: string): Map<string, DynoUsage>;
  /** Takes one sample now (tests, the benchmark). */
  sample(): Promise<void>;
  close(): void;
}

interface Seen {
  id: string;
  state: string;
  sample: CgroupSample;
  at: number;
}

export function startDynoMetrics(opts: {
  scheduler: Pick<Scheduler, 'list'>;
  redis: Redis;
  prefix: string;
  intervalMs?: number;
  cgroupRoot?: string;
  log: (line: string) => void;
}): DynoMetrics {
  /** app → dyno name → last reading. */
  const seen = new Map<string, Map<string, Seen>>();
  const latest = new Map<string, Map<string, DynoUsage>>();
  /** "app/dyno" → restarts seen since this process started (Prometheus counter). */
  const restartsTotal = new Map<string, number>();
  let published: DynoUsageSample[] = [];
  let failing = false;

  async function sampleApp(app: string, dynos: Dyno[], now: number): Promise<RingUpdate> {
    const before = seen.get(app) ?? new Map<string, Seen>();
    const after = new Map<string, Seen>();
    const usage = new Map<string, DynoUsage>();
    const update: Required<RingUpdate> = { add: {}, max: {}, set: {} };
    await Promise.all(dynos.map(async (d) => {
      const prev = before.get(d.name);
      const restarted = prev !== undefined && (prev.id !== d.id || (prev.state !== 'crashed' && d.state === 'crashed'));
      const sample = await readCgroup(d.id, opts.cgroupRoot);
      let cpu: number | null = null;
      if (sample) {
        if (prev && prev.id === d.id && now > prev.at && sample.cpuNs >= prev.sample.cpuNs) {
          cpu = Math.round(((sample.cpuNs - prev.sample.cpuNs) / ((now - prev.at) * 1e6)) * 1000) / 10;
        }
        after.set(d.name, { id: d.id, state: d.state, sample, at: now });
      }
      usage.set(d.name, { cpuPercent: cpu, memory: sample?.memory ?? null, memoryLimit: sample?.limit ?? null });
      const k = (f: string): string => `${d.name}|${f}`;
      update.set[k('state')] = d.state;
      update.add[k('restarts')] = restarted ? 1 : 0;
      const total = (restartsTotal.get(`${app}/${d.name}`) ?? 0) + (restarted ? 1 : 0);
      restartsTotal.set(`${app}/${d.name}`, total);
      published.push({ app, dyno: d.name, state: d.state, cpuPercent: cpu, memory: sample?.memory ?? null, memoryLimit: sample?.limit ?? null, restarts: total });
      if (cpu !== null) {
        update.add[k('cpu')] = cpu;
        update.add[k('n')] = 1;
      }
      if (sample) {
        update.max[k('mem')] = sample.memory;
        if (sample.limit !== null) update.set[k('limit')] = sample.limit;
      }
    }));
    seen.set(app, after);
    latest.set(app, usage);
    return update;
  }

  async function sample(): Promise<void> {
    const now = Date.now();
    published = [];
    const byApp = new Map<string, Dyno[]>();
    for (const d of await opts.scheduler.list()) {
      const list = byApp.get(d.app) ?? [];
      list.push(d);
      byApp.set(d.app, list);
    }
    for (const app of seen.keys()) if (!byApp.has(app)) { seen.delete(app); latest.delete(app); }
    await Promise.all([...byApp].map(async ([app, dynos]) => {
      const update = await sampleApp(app, dynos, now);
      await writeRing(opts.redis, opts.prefix, app, 'dynos', now, update);
    }));
    await publishDynoUsage(opts.redis, opts.prefix, published);
  }

  let running: Promise<void> | null = null;
  const tick = (): void => {
    if (running) return; // a slow sample is not stacked on
    running = sample().then(() => {
      if (failing) opts.log('dyno metrics: sampling again');
      failing = false;
    }, (err: unknown) => {
      if (!failing) opts.log(`dyno metrics: sample failed: ${errorMessage(err)}`);
      failing = true;
    }).finally(() => { running = null; });
  };
  const timer = setInterval(tick, opts.intervalMs ?? 10_000);
  timer.unref();
  return {
    latest: (app) => latest.get(app) ?? new Map(),
    sample,
    close: () => clearInterval(timer),
  };
}
