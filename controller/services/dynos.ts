// Dynos of an app: what runs (with the command of its process type), one-off runs in the
// current release (their spec from dyno-spec.ts, like every dyno's) and rolling restarts.
import { NotFoundError } from '../../common/errors.ts';
import type { Dyno, Scheduler } from '../scheduler/types.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import type { App } from '../store/types.ts';
import type { Deployer } from './deployer.ts';
import type { DynoSpecs } from './dyno-spec.ts';
import { currentBuild } from './formation.ts';

export interface RunRequest {
  command: string;
  /** Added to the release's environment. */
  env?: Record<string, string>;
  /** Attached: output streams to `output` and the exit code comes back; else it returns once started. */
  attach: boolean;
  /** Aborting kills an attached run. */
  signal: AbortSignal;
}

export interface DynoService {
  /** The app's dynos, by type then number, each with its process type's command. */
  list(app: App): Promise<Array<Dyno & { command: string | null }>>;
  /** A one-off dyno of the current release (404 if nothing was released). */
  run(app: App, req: RunRequest, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null; release: number }>;
  /** Rolling restart of all dynos, one ("web.1") or a type ("web"); 404 if the filter matches none. */
  restart(app: App, filter?: string): Promise<string[]>;
}

export function createDynoService(deps: { db: Db; scheduler: Scheduler; deployer: Deployer; specs: DynoSpecs }): DynoService {
  const { db, scheduler } = deps;
  return {
    async list(app) {
      const build = currentBuild(db, app);
      const number = (d: Dyno): number => Number(d.name.split('.')[1]);
      return (await scheduler.list(app.name))
        .sort((a, b) => a.type.localeCompare(b.type) || number(a) - number(b))
        .map((d) => ({ ...d, command: build?.process_types[d.type] ?? null }));
    },
    async run(app, req, output) {
      const release = currentRelease(db, app.id);
      if (!release) throw new NotFoundError(`${app.name} has no release to run a command in: push code first.`);
      const spec = deps.specs.oneOff(app, release, req.command, req.env);
      const { name, exitCode } = await scheduler.run(spec, { attach: req.attach, signal: req.signal }, output);
      return { name, exitCode, release: release.version };
    },
    async restart(app, filter) {
      const names = await deps.deployer.restart(app, filter);
      if (filter && names.length === 0) throw new NotFoundError(`No dyno ${filter} on ${app.name}.`);
      return names;
    },
  };
}
