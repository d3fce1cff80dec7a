// The platform's health at a glance (admin only; the dashboard's status page): whether Redis,
// the registry, the Docker engine(s) and the routers answer, and the build queue's length.
// Each probe is bounded in time, so a dead service shows as down instead of hanging the page.
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { errorMessage } from '../../common/errors.ts';
import { registryAuthHeaders } from '../../common/registry-auth.ts';
import { routerAckKey, routerSetKey } from '../../common/redis-keys.ts';
import type { Scheduler } from '../scheduler/types.ts';

export interface ServiceStatus { name: string; up: boolean; detail: string }
export interface BuildQueueCounts { waiting: number; active: number; delayed: number; failed: number }
export interface PlatformStatus { services: ServiceStatus[]; build_queue: BuildQueueCounts | null; checked_at: string }

export interface PlatformStatusDeps {
  redis: Redis;
  config: Config;
  scheduler: Pick<Scheduler, 'nodes'>;
  /** The build queue's job counts (absent: not known, as in API tests without a queue). */
  queueCounts?: () => Promise<Record<string, number>>;
  probeTimeoutMs?: number;
}

export type PlatformStatusReader = () => Promise<PlatformStatus>;

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function probe(name: string, ms: number, check: () => Promise<string>): Promise<ServiceStatus> {
  try {
    return { name, up: true, detail: await within(ms, check()) };
  } catch (err) {
    return { name, up: false, detail: errorMessage(err) };
  }
}

export function createPlatformStatus(deps: PlatformStatusDeps): PlatformStatusReader {
  const ms = deps.probeTimeoutMs ?? 2000;
  const { redis, config } = deps;
  return async () => {
    const services = await Promise.all([
      probe('redis', ms, async () => `PING ${await redis.ping()}`),
      probe('registry', ms, async () => {
        const res = await fetch(`http://${config.registry}/v2/`, { headers: registryAuthHeaders(config.registryAuth), signal: AbortSignal.timeout(ms) });
        await res.body?.cancel();
        if (res.status !== 200) throw new Error(`GET /v2/ answered ${res.status}`);
        return `${config.registry} answers`;
      }),
      probe('docker', ms, async () => {
        const nodes = await deps.scheduler.nodes();
        const ready = nodes.filter((n) => n.state === 'ready').length;
        if (ready === 0) throw new Error(`no ready node of ${nodes.length}`);
        return `${ready} of ${nodes.length} node(s) ready`;
      }),
      probe('router', ms, async () => {
        // Each live router refreshes its ack key; one that died drops out when the key expires.
        const ids = await redis.smembers(routerSetKey(config.redisPrefix));
        const live = ids.length ? (await redis.mget(ids.map((id) => routerAckKey(config.redisPrefix, id)))).filter((v) => v !== null).length : 0;
        if (live === 0) throw new Error('no router process reports to Redis');
        return `${live} router process(es) report`;
      }),
    ]);
    let buildQueue: BuildQueueCounts | null = null;
    if (deps.queueCounts) {
      const c = await within(ms, deps.queueCounts()).catch(() => null);
      if (c) buildQueue = { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
    }
    return { services, build_queue: buildQueue, checked_at: new Date().toISOString() };
  };
}
