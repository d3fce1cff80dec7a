// Config changes: the one entry point for anything that sets or unsets an app's config vars
// (the config-vars API, add-ons). apply() reads the app's config, applies the diff, records
// the new config and releases the current build with it, all under the app's lock, so
// concurrent changes queue up instead of overwriting each other. The app's config only
// changes once that release runs; without a build yet there is no release and it changes at once.
import { applyConfigPatch, configPatchProblem, describeConfigChange, type ConfigPatch } from '../../common/config-vars.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import { findBuild } from '../store/builds.ts';
import { appConfig, appConfigVars, insertConfig, setAppConfig, type ConfigVars } from '../store/configs.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import type { App, Release, User } from '../store/types.ts';
import type { Deployer } from './deployer.ts';

export interface ConfigChange {
  /** Who makes the change (recorded on the release). */
  user: User | null;
  /** Release description; absent: made from the diff ("Set A, B config vars"). */
  description?: string;
}

export interface ConfigService {
  /** The app's config vars now. */
  get(app: App): ConfigVars;
  /** Applies a diff ({KEY: "value"} sets, {KEY: null} unsets; validated here) as described in
   *  the file header. Returns the app's config after it and the new release (null when nothing
   *  changed or the app has no build yet). A release that fails throws and changes nothing. */
  apply(app: App, patch: unknown, change: ConfigChange): Promise<{ config: ConfigVars; release: Release | null }>;
}

export function createConfigService(deps: { db: Db; deployer: Deployer }): ConfigService {
  const { db, deployer } = deps;
  return {
    get: (app) => appConfigVars(db, app.id),
    async apply(app, patch, change) {
      const problem = configPatchProblem(patch);
      if (problem) throw new InvalidParamsError(problem);
      return deployer.locked(app, async (app, tx) => {
        const before = appConfig(db, app.id).vars;
        const after = applyConfigPatch(before, patch as ConfigPatch);
        const summary = describeConfigChange(before, after);
        if (!summary) return { config: before, release: null };
        const config = insertConfig(db, app.id, after);
        const current = currentRelease(db, app.id);
        const build = current?.build_id ? findBuild(db, current.build_id) : null;
        const release = build
          ? await tx.release({ app, build, configId: config.id, description: change.description ?? summary, user: change.user })
          : null;
        setAppConfig(db, app.id, config.id);
        return { config: after, release };
      });
    },
  };
}
