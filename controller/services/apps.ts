// App lifecycle: creation (row + repository, all or nothing) and destruction (everything it owns).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../common/config.ts';
import { ConflictError, InvalidParamsError } from '../../common/errors.ts';
import type { RepoStore } from '../git/repos.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { deleteApp, findApp, insertApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { appNameProblem, randomAppName } from './app-names.ts';
import { imageRepo } from './deployer.ts';
import type { RegistryClient } from './registry.ts';
import type { RoutePublisher } from './route-publisher.ts';

export interface AppService {
  create(user: User, name?: string): Promise<App>;
  destroy(app: App): Promise<void>;
}

export function createAppService(deps: {
  db: Db; config: Config; repos: RepoStore; scheduler: Scheduler; registry: RegistryClient; routes: RoutePublisher;
}): AppService {
  const { db, repos } = deps;
  return {
    async create(user, requested) {
      let name = requested;
      if (name === undefined) {
        do name = randomAppName(); while (findApp(db, name));
      }
      const problem = appNameProblem(name);
      if (problem) throw new InvalidParamsError(problem);
      if (findApp(db, name)) throw new ConflictError(`Name ${name} is already taken.`);
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
    async destroy(app) {
      await deps.scheduler.destroy(app.name);
      deleteApp(db, app.id);
      await deps.routes.sync();
      await repos.remove(app.name);
      await fs.rm(path.join(deps.config.dataDir, 'cache', 'build', app.name), { recursive: true, force: true });
      await deps.registry.deleteRepository(imageRepo(app.name)).catch(() => undefined);
    },
  };
}
