// Dynos of an app: what runs (with the command of its process type, or a one-off's own) and
// rolling restarts. One-off runs are services/one-off-runs.ts.
import { NotFoundError } from '../../common/errors.ts';
import type { Dyno, Scheduler } from '../scheduler/types.ts';
import type { Db } from '../store/db.ts';
import type { App } from '../store/types.ts';
import type { Deployer } from './deployer.ts';
import { currentBuild } from './formation.ts';

export interface DynoService {
  /** The app's dynos, by type then number, each with its process type's command (a one-off:
   *  its own). */
  list(app: App): Promise<Array<Dyno & { command: string | null }>>;
  /** Rolling restart of all dynos, one ("web.1") or a type ("web"); 404 if the filter matches none. */
  restart(app: App, filter?: string): Promise<string[]>;
}

export function createDynoService(deps: { db: Db; scheduler: Scheduler; deployer: Deployer }): DynoService {
  const { db, scheduler } = deps;
  return {
    async list(app) {
      const build = currentBuild(db, app);
      const number = (d: Dyno): number => Number(d.name.split('.')[1]);
      return (await scheduler.list(app.name))
        .sort((a, b) => a.type.localeCompare(b.type) || number(a) - number(b))
        .map((d) => ({ ...d, command: d.oneOff?.command ?? build?.process_types[d.type] ?? null }));
    },
    async restart(app, filter) {
      const names = await deps.deployer.restart(app, filter);
      if (filter && names.length === 0) throw new NotFoundError(`No dyno ${filter} on ${app.name}.`);
      return names;
    },
  };
}
