// Release-creating changes other than builds: config changes and rollbacks. Each makes a NEW
// release from a (build, config) pair; the app's config only changes once that release runs.
import { applyConfigPatch, configPatchProblem, describeConfigChange, type ConfigPatch } from '../../common/config-vars.ts';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { findApp, updateAppConfig } from '../store/apps.ts';
import { findBuild } from '../store/builds.ts';
import type { Db } from '../store/db.ts';
import { currentRelease, findRelease } from '../store/releases.ts';
import type { App, Release, User } from '../store/types.ts';
import type { Deployer } from './deployer.ts';

export interface ReleaseService {
  setConfig(app: App, user: User, patch: unknown): Promise<{ config: Record<string, string>; release: Release | null }>;
  rollback(app: App, user: User, target: string): Promise<Release>;
}

export function createReleaseService(deps: { db: Db; deployer: Deployer }): ReleaseService {
  const { db, deployer } = deps;
  return {
    async setConfig(app, user, patch) {
      const problem = configPatchProblem(patch);
      if (problem) throw new InvalidParamsError(problem);
      const before = app.config;
      const after = applyConfigPatch(before, patch as ConfigPatch);
      const description = describeConfigChange(before, after);
      if (!description) return { config: before, release: null };
      const current = currentRelease(db, app.id);
      const build = current?.build_id ? findBuild(db, current.build_id) : null;
      let release: Release | null = null;
      if (current && build) {
        // Buildpack defaults stay unless the user overrides them.
        const config = applyConfigPatch(current.config, patch as ConfigPatch);
        release = await deployer.release({ app, build, config, description, user });
      }
      updateAppConfig(db, app.id, after);
      return { config: (findApp(db, app.id) as App).config, release };
    },
    async rollback(app, user, target) {
      const old = findRelease(db, app.id, target);
      if (!old) throw new NotFoundError(`Couldn't find release ${target} of ${app.name}.`);
      const build = old.build_id ? findBuild(db, old.build_id) : null;
      if (!build || build.status !== 'succeeded') throw new InvalidParamsError(`Release v${old.version} has no build to roll back to.`);
      const release = await deployer.release({ app, build, config: old.config, description: `Rollback to v${old.version}`, user });
      updateAppConfig(db, app.id, old.config);
      return release;
    },
  };
}
