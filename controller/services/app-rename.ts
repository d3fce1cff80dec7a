// Renaming an app (Heroku's apps:rename). The app keeps its id, so what the store keys by id
// (releases, config, domains, certificates, collaborators, formation, settings) stays as it is;
// what is keyed by the name moves: the registry images, the dynos, the default hostname, the git
// repository, the build cache and the platform log stream.
//
// First everything is made to exist under the new name beside the old: the images are copied
// (every tag, so rollbacks keep working), the current release's dynos start and pass their health
// checks, the repository and the cache move. Then the store's row is renamed, the routes switch
// (the old hostname leaves the table, the new one routes to the new dynos) and the old-name dynos
// are drained and stopped. A failure before the row is renamed undoes what was done.
import fs from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
import { appLogKey } from '../../common/redis-keys.ts';
import { renameRings } from '../../common/metrics-ring.ts';
import { buildCacheDir } from '../../common/build-cache.ts';
import type { Config } from '../../common/config.ts';
import { ConflictError, errorMessage, NotFoundError } from '../../common/errors.ts';
import type { RepoStore } from '../git/repos.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { findApp, renameApp as renameAppRow } from '../store/apps.ts';
import { listBuilds } from '../store/builds.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import type { Deployer } from './deployer.ts';
import { imageRepo } from './dyno-spec.ts';
import type { RegistryClient } from './registry.ts';
import type { RoutePublisher } from './route-publisher.ts';

export interface RenameDeps {
  db: Db; config: Config; repos: RepoStore; scheduler: Scheduler; registry: RegistryClient; routes: RoutePublisher;
  /** The app locks and the health-checked start of the current release. */
  deployer: Deployer;
  /** The platform log stream moves with the app. */
  redis: Redis;
  /** Who renames it (for the app's log). */
  user?: User | null;
  /** Problems cleaning up the old name once the rename took effect (it is not undone for them). */
  logError?: (err: unknown) => void;
}

function refuseWhileBuilding(db: Db, app: App): void {
  if (listBuilds(db, app.id).some((b) => b.status === 'pending')) {
    throw new ConflictError(`${app.name} has a build in progress: rename it once the build is done (or canceled with paas builds:cancel).`);
  }
}

/** Moves a directory that may not exist; whatever was at the target goes (a cache). */
async function moveCache(from: string, to: string): Promise<void> {
  await fs.rm(to, { recursive: true, force: true });
  try {
    await fs.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Renames `app` to `to` (a valid, free name the caller reserved). */
export function renameApp(deps: RenameDeps, app: App, to: string): Promise<App> {
  const { db, config, repos, scheduler, registry, routes } = deps;
  const logError = deps.logError ?? (() => undefined);
  return deps.deployer.exclusive([app.name, to], async () => {
    const current = findApp(db, app.id);
    if (!current) throw new NotFoundError(`Couldn't find that app: ${app.name}.`);
    if (current.name !== app.name) throw new ConflictError(`${app.name} was renamed to ${current.name} meanwhile.`);
    refuseWhileBuilding(db, current);
    const from = current.name;
    const cache = (name: string): string => buildCacheDir(config.dataDir, name);

    const undo: Array<() => Promise<unknown>> = [];
    try {
      // Tags left by an app destroyed under the new name must not mix with this app's.
      await registry.deleteRepository(imageRepo(to)).catch(() => undefined);
      undo.push(() => registry.deleteRepository(imageRepo(to)));
      await registry.copyRepository(imageRepo(from), imageRepo(to));
      undo.push(() => scheduler.destroy(to));
      await deps.deployer.startAs(current, to);
      await repos.rename(from, to);
      undo.push(() => repos.rename(to, from));
      await moveCache(cache(from), cache(to));
      undo.push(() => moveCache(cache(to), cache(from)));
      // Synchronous from the check to the update: no build can start in between. One that
      // started during the steps above built under the old name, so the rename gives way.
      refuseWhileBuilding(db, current);
      renameAppRow(db, app.id, to);
    } catch (err) {
      for (const step of undo.reverse()) {
        await step().catch((e: unknown) => logError(new Error(`rename ${from} to ${to}: undoing: ${errorMessage(e)}`)));
      }
      throw err;
    }

    // The rename took effect. What is left is retiring the old name; a failure there is logged.
    const cleanup = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      await fn().catch((e: unknown) => logError(new Error(`rename ${from} to ${to}: ${what}: ${errorMessage(e)}`)));
    };
    await cleanup('publishing routes', () => routes.sync());
    // The old-name dynos are out of the table now; retire() waits for the routers to drain
    // them before SIGTERM. destroy() then removes one-off dynos and the engine's old tags.
    await cleanup('retiring the old dynos', () => scheduler.retire(from, null, () => routes.sync().then(() => undefined, () => undefined)));
    await cleanup('removing the old dynos', () => scheduler.destroy(from));
    await cleanup('moving the log', async () => {
      const [oldKey, newKey] = [appLogKey(config.redisPrefix, from), appLogKey(config.redisPrefix, to)];
      if (await deps.redis.exists(oldKey)) await deps.redis.rename(oldKey, newKey);
      await renameRings(deps.redis, config.redisPrefix, from, to);
      await appendAppLog(deps.redis, config.redisPrefix, to, {
        source: 'app', dyno: 'api', line: `Rename from ${from} to ${to}${deps.user ? ` by ${deps.user.email}` : ''}`,
      });
    });
    await cleanup('deleting the old images', () => registry.deleteRepository(imageRepo(from)));
    return findApp(db, app.id) as App;
  });
}
