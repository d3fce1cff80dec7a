// Turns a (build, config) pair into a running release: allocate the version, tag the image,
// start the new dynos, switch the routes, retire the old dynos. A failure leaves the previous
// release serving and the new one recorded as failed.
import type { Config } from '../../common/config.ts';
import { errorMessage, UserBuildError } from '../../common/errors.ts';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { findApp } from '../store/apps.ts';
import { appConfig } from '../store/configs.ts';
import type { Db } from '../store/db.ts';
import { listFormation } from '../store/formation.ts';
import { currentRelease, findRelease, insertRelease, setReleaseStatus } from '../store/releases.ts';
import type { App, Build, Release, User } from '../store/types.ts';
import { createDynoSpecs, imageRepo, type DynoSpecs } from './dyno-spec.ts';
import type { RegistryClient } from './registry.ts';
import type { RoutePublisher } from './route-publisher.ts';

export interface ReleaseRequest {
  app: App;
  build: Build;
  /** The config row to release with; absent: the app's config as it is when the release
   *  starts (under the app's lock, so a concurrent config change is never lost). */
  configId?: string;
  description: string;
  user: User | null;
  log?: (line: string) => void;
}

/** What may be done while holding the app's lock (Deployer.locked). */
export interface LockedDeployer {
  /** release() without taking the lock again. */
  release(req: ReleaseRequest): Promise<Release>;
  /** applyFormation() without taking the lock again. */
  applyFormation(log?: (line: string) => void): Promise<void>;
}

export interface Deployer {
  /** Makes the release under the app's lock and deploys it (see the file header). */
  release(req: ReleaseRequest): Promise<Release>;
  /** Runs fn holding the app's lock, with the app as the store has it then: a read-modify-write
   *  of the app's state (a config change, a rollback) and the release it makes are one step. */
  locked<T>(app: App, fn: (app: App, tx: LockedDeployer) => Promise<T>): Promise<T>;
  /** Applies the formation to the running release (after a scale change). */
  applyFormation(app: App, log?: (line: string) => void): Promise<void>;
  /** Converges the app's dynos to its current release and formation (self-healing). */
  reconcile(app: App): Promise<void>;
  /** Rolling restart (all dynos, one "web.1" or a type "web"), zero-downtime for web dynos,
   *  under the app's lock so it never interleaves with a deploy or a scale change. Returns
   *  the names restarted (empty: no such dyno). */
  restart(app: App, filter?: string): Promise<string[]>;
  /** Runs fn holding the locks of all these app names: no deploy, scale, restart or reconcile
   *  of those apps runs meanwhile. */
  exclusive<T>(names: string[], fn: () => Promise<T>): Promise<T>;
  /** Starts the dynos of the app's current release and formation under another app name (an
   *  app rename: image `<registry>/<name>:v<N>`), health-checked like a release; on failure
   *  nothing is left. Returns false if there is no current release. Call inside exclusive(). */
  startAs(app: App, name: string, log?: (line: string) => void): Promise<boolean>;
}

export function createDeployer(deps: {
  db: Db; config: Config; scheduler: Scheduler; registry: RegistryClient; routes: RoutePublisher; appLock: KeyedMutex;
  specs?: DynoSpecs;
  /** Platform events for the app's log stream (app[api] lines). */
  events?: (app: string, line: string) => void;
}): Deployer {
  const event = deps.events ?? (() => undefined);
  const { db, scheduler, registry, routes } = deps;
  const specs: DynoSpecs = deps.specs ?? createDynoSpecs({ db, config: deps.config });
  /** Publishes the routes and waits until the routers use them and finished what they had in
   *  flight to the backends that left (route-publisher.ts): only then may a dyno get SIGTERM. */
  const syncRoutes = async (): Promise<void> => { await routes.sync(); };

  /** The Procfile `release:` command (migrations) runs once, before any dyno of the release starts. */
  async function runReleasePhase(app: App, rel: Release, command: string, log: (l: string) => void): Promise<void> {
    log(`-----> Running release command: ${command}`);
    let partial = '';
    const { exitCode } = await scheduler.run(
      specs.oneOff(app, rel, command),
      { attach: true, signal: new AbortController().signal },
      (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) log(`       ${l}`);
      },
    );
    if (partial) log(`       ${partial}`);
    if (exitCode !== 0) throw new UserBuildError(`release command failed with exit status ${exitCode}: ${command}`);
  }

  async function release(req: ReleaseRequest): Promise<Release> {
    const log = req.log ?? (() => undefined);
    const { app, build } = req;
    if (!build.image) throw new Error(`build ${build.id} has no image`);
    const rel = insertRelease(db, {
      appId: app.id, buildId: build.id, configId: req.configId ?? appConfig(db, app.id).id, description: req.description, userId: req.user?.id ?? null,
    });
    try {
      const buildRef = build.image.slice(build.image.lastIndexOf(':') + 1);
      await registry.retag(imageRepo(app.name), buildRef, `v${rel.version}`);
      const releaseCommand = build.process_types.release;
      if (releaseCommand) await runReleasePhase(app, rel, releaseCommand, log);
      const spec = specs.release(app, rel);
      log(`-----> Releasing v${rel.version} (${spec.processes.map((p) => `${p.type}=${p.quantity}`).join(' ') || 'no processes'})`);
      await scheduler.start(spec, (line) => log(`       ${line}`));
      setReleaseStatus(db, rel.id, 'succeeded');
      event(app.name, `Release v${rel.version} created by ${req.user?.email ?? 'paas'}: ${req.description}`);
    } catch (err) {
      setReleaseStatus(db, rel.id, 'failed', errorMessage(err));
      event(app.name, `Release v${rel.version} failed: ${errorMessage(err).split('\n')[0]}`);
      await routes.sync().catch(() => undefined);
      throw err;
    }
    // Cutover: one table swap routes the new dynos (all healthy) instead of the old ones; the
    // old ones get SIGTERM only once the routers dropped them and finished their requests.
    await scheduler.retire(app.name, rel.version, syncRoutes);
    await routes.sync();
    return findRelease(db, app.id, rel.id) as Release;
  }

  async function applyFormation(app: App, log: (line: string) => void, announce = true): Promise<void> {
    const spec = specs.current(app);
    if (!spec) return;
    await scheduler.scale(spec, log, syncRoutes);
    await routes.sync();
    if (announce) event(app.name, `Scaled to ${listFormation(db, app.id).map((f) => `${f.type}@${f.quantity}`).join(' ')}`);
  }

  async function reconcile(app: App): Promise<void> {
    const current = currentRelease(db, app.id);
    if (current) await applyFormation(app, () => undefined, false);
    await scheduler.retire(app.name, current?.version ?? null, syncRoutes);
    await routes.sync();
  }

  /** Runs fn under the app's lock, with the app as the store has it then: an operation that
   *  waited while the app was renamed follows it to its new name (and that name's lock). */
  async function locked<T>(app: App, fn: (app: App) => Promise<T>): Promise<T> {
    let name = app.name;
    for (;;) {
      const outcome = await deps.appLock.run(name, async (): Promise<{ renamed: string } | { value: T }> => {
        const fresh = findApp(db, app.id) ?? app;
        if (fresh.name !== name) return { renamed: fresh.name };
        return { value: await fn(fresh) };
      });
      if ('value' in outcome) return outcome.value;
      name = outcome.renamed;
    }
  }

  /** Queues for every lock at once (in this tick), so a caller queued later for any of them
   *  waits for this one, and two such callers can never each hold what the other waits for. */
  async function exclusive<T>(names: string[], fn: () => Promise<T>): Promise<T> {
    let release = (): void => undefined;
    const done = new Promise<void>((resolve) => { release = resolve; });
    const held = [...new Set(names)].sort().map((name) => new Promise<void>((acquired) => {
      void deps.appLock.run(name, () => { acquired(); return done; });
    }));
    try {
      await Promise.all(held);
      return await fn();
    } finally {
      release();
    }
  }

  return {
    reconcile: (app) => locked(app, (a) => reconcile(a)),
    release: (req) => locked(req.app, (app) => release({ ...req, app })),
    locked: (app, fn) => locked(app, (a) => fn(a, {
      release: (req) => release({ ...req, app: a }),
      applyFormation: (log) => applyFormation(a, log ?? (() => undefined)),
    })),
    applyFormation: (app, log) => locked(app, (a) => applyFormation(a, log ?? (() => undefined))),
    restart: (app, filter) => locked(app, (a) => scheduler.restart(a.name, filter, syncRoutes)),
    exclusive,
    async startAs(app, name, log) {
      const spec = specs.current(app, name);
      if (!spec) return false;
      await scheduler.start(spec, log ?? (() => undefined));
      return true;
    },
  };
}
