// The one place a dyno's spec is made, from a release: the dynos of a deploy, a scale change, a
// reconcile or a rename (release()), and one-off dynos: `paas run` and the release phase
// (oneOff()). A release is a (build, config) pair; the environment its dynos get is computed by
// releaseEnv() alone. Restarts reuse the spec recorded on each dyno when it was started here.
import type { Config } from '../../common/config.ts';
import type { DynoChecks, ImageKind, ProcessSpec, ReleaseSpec, RunSpec } from '../scheduler/types.ts';
import { defaultAppSettings, getAppSettings } from '../store/app-settings.ts';
import { findBuild } from '../store/builds.ts';
import { findConfig, type ConfigVars } from '../store/configs.ts';
import type { Db } from '../store/db.ts';
import { ensureFormation } from '../store/formation.ts';
import { currentRelease } from '../store/releases.ts';
import type { App, Build, Formation, Release } from '../store/types.ts';

/** Process types that are not long-running dynos. */
const NOT_DYNOS = new Set(['release']);

/** Registry repository of an app's images. */
export const imageRepo = (app: string): string => app;

export const imageKind = (build: Build): ImageKind => (build.buildpack === 'dockerfile' ? 'dockerfile' : 'buildpack');

export const dynoTypes = (build: Build): string[] => Object.keys(build.process_types).filter((t) => !NOT_DYNOS.has(t));

/** The environment of a release's dynos: the buildpack's defaults, overridden by the app's vars. */
export const releaseEnv = (build: Build | null, vars: ConfigVars): Record<string, string> => ({ ...build?.config_vars, ...vars });

function processesOf(build: Build, formation: Formation[]): ProcessSpec[] {
  const types = dynoTypes(build);
  return formation
    .filter((f) => types.includes(f.type) && f.quantity > 0)
    .map((f) => ({ type: f.type, command: build.process_types[f.type] ?? null, quantity: f.quantity }));
}

export interface DynoSpecs {
  /** The dynos of `release` as the app's formation has them; `name` runs them under another app
   *  name (a rename: image `<registry>/<name>:v<N>`). */
  release(app: App, release: Release, name?: string): ReleaseSpec;
  /** What the app's current release runs; null if nothing was released. */
  current(app: App, name?: string): ReleaseSpec | null;
  /** A one-off dyno of `release` running `command`; `env` is added to the release's environment. */
  oneOff(app: App, release: Release, command: string, env?: Record<string, string>): RunSpec;
}

export function createDynoSpecs(deps: {
  db: Db; config: Config;
  /** Extra Docker networks an app's dynos join (those of its add-ons), by app id. */
  networks?: (appId: string) => string[];
}): DynoSpecs {
  const { db, config } = deps;
  const networksOf = (app: App): string[] | undefined => deps.networks?.(app.id);
  /** The app's health check and drain settings, recorded on each dyno it starts. */
  const checksOf = (app: App): DynoChecks => {
    const s = getAppSettings(db, app.id, defaultAppSettings(config));
    return { healthPath: s.healthCheckPath, bootTimeoutSec: s.bootTimeoutSec, graceSec: s.drainGraceSec };
  };
  const parts = (release: Release, name: string) => {
    const build = release.build_id ? findBuild(db, release.build_id) : null;
    return {
      build,
      base: {
        release: release.version,
        image: `${config.registry}/${imageRepo(name)}:v${release.version}`,
        kind: build ? imageKind(build) : 'buildpack' as const,
        env: releaseEnv(build, findConfig(db, release.config_id)?.vars ?? {}),
        memoryMb: config.dynoMemoryMb,
      },
    };
  };
  const release = (app: App, rel: Release, name = app.name): ReleaseSpec => {
    const { build, base } = parts(rel, name);
    const processes = build ? processesOf(build, ensureFormation(db, app.id, dynoTypes(build))) : [];
    return { app: name, ...base, processes, checks: checksOf(app), networks: networksOf(app) };
  };
  return {
    release,
    current(app, name) {
      const rel = currentRelease(db, app.id);
      return rel?.build_id ? release(app, rel, name) : null;
    },
    oneOff(app, rel, command, env) {
      const { base } = parts(rel, app.name);
      return { app: app.name, ...base, env: { ...base.env, ...env }, command, networks: networksOf(app) };
    },
  };
}
