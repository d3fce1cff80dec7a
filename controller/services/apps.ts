// App lifecycle: creation (row + repository, all or nothing), renaming (app-rename.ts),
// destruction (everything it owns), maintenance mode and collaborators. Destruction removes
// the app's data first and its row last, so a destroy that crashes half way leaves an app that
// can be destroyed again; creating (or renaming to) a name first removes whatever an earlier app
// left under it (dynos, repository, build cache, log, images), so nothing of an earlier app
// reaches the next owner of its name.
import fs from 'node:fs/promises';
import { appNameProblem } from '../../common/app-name.ts';
import { appLogKey } from '../../common/redis-keys.ts';
import { deleteRings } from '../../common/metrics-ring.ts';
import { buildCacheDir } from '../../common/build-cache.ts';
import type { Config } from '../../common/config.ts';
import { ConflictError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import type { RepoStore } from '../git/repos.ts';
import type { Scheduler } from '../scheduler/types.ts';
import type { Redis } from 'ioredis';
import { addCollaborator, deleteApp, findApp, insertApp, listAppsFor, listAppsOf, listCollaborators, removeCollaborator, setMaintenance } from '../store/apps.ts';
import { listBuilds } from '../store/builds.ts';
import { findUserByEmail, findUserById } from '../store/users.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { randomAppName } from './app-names.ts';
import { userParam } from './users.ts';
import { renameApp } from './app-rename.ts';
import { checkAppLimit } from './limits.ts';
import type { Deployer } from './deployer.ts';
import { imageRepo } from './dyno-spec.ts';
import type { RegistryClient } from './registry.ts';
import type { RoutePublisher } from './route-publisher.ts';

/** Heroku's list: the owner (role owner, since the app's creation) and the collaborators. */
export interface Collaborator { user: { id: string; email: string }; role: 'owner' | 'collaborator'; created_at: string }

export interface AppService {
  /** The apps the user owns or collaborates on; an admin's: all. */
  list(user: User): App[];
  /** The apps `who` owns or collaborates on (Heroku's /users/{user}/apps: `~` is `me`; another user only for an admin). */
  listOf(me: User, who: string): App[];
  create(user: User, name?: string): Promise<App>;
  /** Heroku's apps:rename: same app (id, releases, config, domains, collaborators, formation),
   *  new name; its images, dynos, routes, repository, build cache and log follow. */
  rename(app: App, name: unknown, user: User): Promise<App>;
  /** Maintenance mode on or off; resolves once the routers serve it. */
  setMaintenance(app: App, on: boolean): Promise<App>;
  collaborators(app: App): Collaborator[];
  addCollaborator(app: App, email: string): Collaborator['user'];
  /** Throws 404 if the user is not a collaborator. */
  removeCollaborator(app: App, email: string): Collaborator['user'];
  destroy(app: App): Promise<void>;
}

export function createAppService(deps: {
  db: Db; config: Config; repos: RepoStore; scheduler: Scheduler; registry: RegistryClient; routes: RoutePublisher;
  deployer: Deployer; redis: Redis; logError: (err: unknown) => void;
  /** Path of a build's log file (removed with the app). */
  buildLogPath?: (buildId: string) => string;
  /** Runs first when an app is destroyed (its add-ons go with it); a failure stops the destroy. */
  beforeDestroy?: (app: App) => Promise<void>;
}): AppService {
  const { db, repos } = deps;
  /** Everything stored under an app's name outside its row. */
  async function removeNamedData(name: string, images = true): Promise<void> {
    await deps.scheduler.destroy(name);
    await repos.remove(name);
    await fs.rm(buildCacheDir(deps.config.dataDir, name), { recursive: true, force: true });
    await deps.redis.del(appLogKey(deps.config.redisPrefix, name));
    await deleteRings(deps.redis, deps.config.redisPrefix, name);
    if (images) await deps.registry.deleteRepository(imageRepo(name)).catch(() => undefined);
  }
  /** Names on their way in (a rename's target) or out (an app being destroyed): not free yet. */
  const busy = new Set<string>();
  /** Apps being renamed, by id: they cannot be destroyed meanwhile. */
  const renaming = new Set<string>();
  const taken = (name: string): boolean => busy.has(name) || findApp(db, name) !== null;

  return {
    list: (user) => listAppsFor(db, user),
    listOf: (me, who) => listAppsOf(db, who === '~' || who === me.id || who === me.email ? me : userParam(db, me, who)),
    async create(user, requested) {
      let name = requested;
      if (name === undefined) {
        do name = randomAppName(); while (taken(name));
      }
      const problem = appNameProblem(name);
      if (problem) throw new InvalidParamsError(problem);
      if (taken(name)) throw new ConflictError(`Name ${name} is already taken.`);
      busy.add(name);
      try {
        await removeNamedData(name);
      } finally {
        busy.delete(name);
      }
      if (taken(name)) throw new ConflictError(`Name ${name} is already taken.`);
      checkAppLimit(db, deps.config, user); // with the insert, no await between: two creates cannot both pass
      const app = insertApp(db, name, user.id);
      try {
        await repos.create(name);
      } catch (err) {
        deleteApp(db, app.id);
        await repos.remove(name).catch(() => undefined);
        throw err;
      }
      await deps.routes.sync();
      return app;
    },
    async rename(app, name, user) {
      if (name === app.name) return app;
      const problem = appNameProblem(name);
      if (problem) throw new InvalidParamsError(problem);
      const to = name as string;
      if (taken(to)) throw new ConflictError(`Name ${to} is already taken.`);
      if (renaming.has(app.id)) throw new ConflictError(`${app.name} is being renamed already.`);
      busy.add(to);
      renaming.add(app.id);
      try {
        await removeNamedData(to, false); // app-rename.ts empties the target's image repository itself
        return await renameApp({ ...deps, user }, app, to);
      } finally {
        busy.delete(to);
        renaming.delete(app.id);
      }
    },
    async destroy(app) {
      if (renaming.has(app.id)) throw new ConflictError(`${app.name} is being renamed: try again when that is done.`);
      busy.add(app.name);
      try {
        // First (outside the lock): its add-ons go, which detaches them from other apps too.
        await deps.beforeDestroy?.(app);
        // Under the app's lock: a reconcile or scale waiting for it then finds no release, and
        // cannot start dynos again between the scheduler's destroy and the row's delete.
        await deps.deployer.exclusive([app.name], async () => {
          await removeNamedData(app.name);
          if (deps.buildLogPath) for (const b of listBuilds(db, app.id)) await fs.rm(deps.buildLogPath(b.id), { force: true });
          deleteApp(db, app.id);
        });
        await deps.routes.sync();
      } finally {
        busy.delete(app.name);
      }
    },
    async setMaintenance(app, on) {
      setMaintenance(db, app.id, on);
      await deps.routes.sync();
      return findApp(db, app.id) as App;
    },
    collaborators(app) {
      const owner = findUserById(db, app.owner_id);
      return [
        ...(owner ? [{ user: { id: owner.id, email: owner.email }, role: 'owner' as const, created_at: app.created_at }] : []),
        ...listCollaborators(db, app.id).map((c) => ({ user: { id: c.user_id, email: c.email }, role: 'collaborator' as const, created_at: c.created_at })),
      ];
    },
    addCollaborator(app, email) {
      const user = findUserByEmail(db, email);
      if (!user) throw new NotFoundError(`Couldn't find that user: ${email}.`);
      if (user.id === app.owner_id) throw new InvalidParamsError(`${user.email} owns ${app.name} already.`);
      addCollaborator(db, app.id, user.id);
      return { id: user.id, email: user.email };
    },
    removeCollaborator(app, email) {
      const user = findUserByEmail(db, email);
      if (user && user.id === app.owner_id) throw new InvalidParamsError(`${user.email} owns ${app.name}: the owner cannot be removed (destroy the app instead).`);
      if (!user || !removeCollaborator(db, app.id, user.id)) throw new NotFoundError(`${email} is not a collaborator on ${app.name}.`);
      return { id: user.id, email: user.email };
    },
  };
}
