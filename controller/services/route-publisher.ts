// Computes the whole route table from the store and the scheduler and hands it to the router
// through Redis (key + pub/sub, see common/routes.ts). Reconciler style: always the full table.
// sync() resolves once the table is in effect: every live router uses it (or a newer one) and
// has finished the requests it had in flight to backends that left it (common/route-acks.ts),
// so a caller may then stop those dynos without cutting a request.
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { backendKey, parseRouterAck } from '../../common/route-acks.ts';
import { routeChannel, routeTableKey, routerAckKey, routerSetKey, routeVersionKey } from '../../common/redis-keys.ts';
import type { AppRoute, RouteTable } from '../../common/routes.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { defaultAppSettings, getAppSettings } from '../store/app-settings.ts';
import { listApps } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import { listDomains } from '../store/domains.ts';
import { domainPolicyOf, hostnameProblem } from '../../common/hostname.ts';
import { allHttpsSettings } from '../store/certs.ts';

export interface RoutePublisher {
  /** Recomputes and publishes the table, then waits until it is in effect (see above);
   *  concurrent calls are coalesced. */
  sync(): Promise<RouteTable>;
}

export interface RoutePublisherDeps {
  db: Db; redis: Redis; scheduler: Scheduler; config: Config;
  /** Longest wait for routers to report a new table (ms, default 5000). */
  ackTimeoutMs?: number;
  log?: (line: string) => void;
}

export function createRoutePublisher(deps: RoutePublisherDeps): RoutePublisher {
  const { db, redis, scheduler, config } = deps;
  const log = deps.log ?? ((line: string) => console.error(`routes: ${line}`));
  let running: Promise<RouteTable> | null = null;
  let again = false;
  // A custom domain stored before the checks existed that they now refuse (an IP address, a
  // platform name: it would route the platform's own traffic to a tenant) is not routed. (The
  // operator's suffix list only limits new domains.)
  const domainPolicy = { ...domainPolicyOf(config), allowedSuffixes: [] };
  const unrouted = new Set<string>();
  const routable = (hostname: string): boolean => {
    const problem = hostnameProblem(hostname, domainPolicy);
    if (problem && !unrouted.has(hostname)) { unrouted.add(hostname); log(`custom domain not routed: ${problem}`); }
    return problem === null;
  };

  async function compute(): Promise<RouteTable> {
    const dynos = await scheduler.list();
    const custom = new Map<string, string[]>();
    for (const d of listDomains(db)) if (routable(d.hostname)) custom.set(d.app_id, [...(custom.get(d.app_id) ?? []), d.hostname]);
    const https = allHttpsSettings(db);
    const apps: AppRoute[] = listApps(db).map((app) => {
      const current = currentRelease(db, app.id);
      const backends = dynos
        .filter((d) => d.app === app.name && d.type === 'web' && d.state === 'up' && d.port !== null
          && current !== null && d.release === current.version)
        .map((d) => ({ dyno: d.name, host: d.host ?? '127.0.0.1', port: d.port as number, release: d.release }))
        .sort((a, b) => a.dyno.localeCompare(b.dyno));
      const tls = https.get(app.id);
      return {
        app: app.name, hosts: [`${app.name}.${config.domain}`.toLowerCase(), ...(custom.get(app.id) ?? [])], backends, maintenance: app.maintenance,
        ...(tls?.redirectHttps ? { redirectHttps: true } : {}), ...(tls?.hsts ? { hsts: true } : {}),
      };
    });
    // Time-based, so it keeps increasing even if Redis is wiped (routers ignore older tables);
    // the counter orders tables made within the same millisecond.
    const version = Date.now() * 1000 + ((await redis.incr(routeVersionKey(config.redisPrefix))) % 1000);
    const table: RouteTable = { version, apps };
    const previous = await redis.getset(routeTableKey(config.redisPrefix), JSON.stringify(table));
    await redis.publish(routeChannel(config.redisPrefix), String(version));
    await settle(table, previous);
    return table;
  }

  /** Waits for the routers to use `table` and drain the backends outside it: at most the
   *  ack timeout for the table, then the drain grace of the apps whose backends left. */
  async function settle(table: RouteTable, previousText: string | null): Promise<void> {
    const live = new Set(table.apps.flatMap((a) => a.backends.map(backendKey)));
    let graceSec = 0;
    try {
      const previous = previousText ? (JSON.parse(previousText) as RouteTable) : null;
      for (const route of previous?.apps ?? []) {
        if (!route.backends.some((b) => !live.has(backendKey(b)))) continue;
        const app = listApps(db).find((a) => a.name === route.app);
        graceSec = Math.max(graceSec, app ? getAppSettings(db, app.id, defaultAppSettings(config)).drainGraceSec : config.drainGrace);
      }
    } catch { /* an unreadable previous table: nothing known to drain */ }
    const started = Date.now();
    const ackDeadline = started + (deps.ackTimeoutMs ?? 5000);
    const drainDeadline = started + Math.max(graceSec, 1) * 1000;
    for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
      const ids = await redis.smembers(routerSetKey(config.redisPrefix));
      const acks = ids.length ? await redis.mget(ids.map((id) => routerAckKey(config.redisPrefix, id))) : [];
      const gone = ids.filter((_, i) => acks[i] === null);
      if (gone.length) await redis.srem(routerSetKey(config.redisPrefix), ...gone);
      const reports = acks.map(parseRouterAck).filter((a) => a !== null);
      const behind = reports.filter((a) => a.version < table.version).length;
      const draining = reports.flatMap((a) => Object.keys(a.draining).filter((k) => !live.has(k) && a.draining[k] > 0));
      if (behind === 0 && draining.length === 0) return;
      const now = Date.now();
      if (behind > 0 && now > ackDeadline) {
        log(`${behind} router(s) did not report route table ${table.version} within ${now - started} ms; going on`);
        return;
      }
      if (behind === 0 && now > drainDeadline) {
        log(`requests still in flight to ${[...new Set(draining)].join(', ')} after ${now - started} ms; going on`);
        return;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async function loop(): Promise<RouteTable> {
    let table = await compute();
    while (again) {
      again = false;
      table = await compute();
    }
    return table;
  }

  return {
    sync() {
      if (running) {
        again = true;
        return running;
      }
      running = loop().finally(() => { running = null; });
      return running;
    },
  };
}

/** The table the routers use now (the last one published), or null if Redis has none or does
 *  not answer within `timeoutMs`: what a starting controller knows of which dynos were healthy. */
export async function lastRouteTable(redis: Redis, prefix: string, timeoutMs = 2000): Promise<RouteTable | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
  try {
    const text = await Promise.race([redis.get(routeTableKey(prefix)).catch(() => null), timeout]);
    const table = text ? (JSON.parse(text) as RouteTable) : null;
    return table && Array.isArray(table.apps) ? table : null;
  } catch {
    return null; // unreadable: as if there were none
  } finally {
    clearTimeout(timer);
  }
}
