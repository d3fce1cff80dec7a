// Computes the whole route table from the store and the scheduler and hands it to the router
// through Redis (key + pub/sub, see common/routes.ts). Reconciler style: always the full table.
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { routeChannel, routeTableKey, type AppRoute, type RouteTable } from '../../common/routes.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { listApps } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import { listDomains } from '../store/domains.ts';
import { allHttpsSettings } from '../store/certs.ts';

export interface RoutePublisher {
  /** Recomputes and publishes the table; concurrent calls are coalesced. */
  sync(): Promise<RouteTable>;
}

export function createRoutePublisher(deps: { db: Db; redis: Redis; scheduler: Scheduler; config: Config }): RoutePublisher {
  const { db, redis, scheduler, config } = deps;
  let running: Promise<RouteTable> | null = null;
  let again = false;

  async function compute(): Promise<RouteTable> {
    const dynos = await scheduler.list();
    const custom = new Map<string, string[]>();
    for (const d of listDomains(db)) custom.set(d.app_id, [...(custom.get(d.app_id) ?? []), d.hostname]);
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
    const version = Date.now() * 1000 + ((await redis.incr(`${config.redisPrefix}:routes:version`)) % 1000);
    const table: RouteTable = { version, apps };
    await redis.set(routeTableKey(config.redisPrefix), JSON.stringify(table));
    await redis.publish(routeChannel(config.redisPrefix), String(version));
    return table;
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
