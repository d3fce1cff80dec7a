// Rollback (Heroku's POST /apps/:app/releases): a NEW release of an old release's (build,
// config) pair; once it runs, that config is the app's config again. Config changes are in
// config-vars.ts, deploys of builds in builds.ts.
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { findBuild } from '../store/builds.ts';
import { findConfig, setAppConfig } from '../store/configs.ts';
import type { Db } from '../store/db.ts';
import { currentRelease, findRelease, listReleases } from '../store/releases.ts';
import type { App, Release, User } from '../store/types.ts';
import type { Deployer } from './deployer.ts';

/** The app's current release (its latest successful one), if any. */
export const currentReleaseOf = (db: Db, app: App): Release | null => currentRelease(db, app.id);

/** The config vars a release runs with (Heroku's releases:info). */
export const releaseConfigVars = (db: Db, release: Release): Record<string, string> => findConfig(db, release.config_id)?.vars ?? {};

export interface ReleaseService {
  list(app: App): Release[];
  /** By id or version ("3", "v3"); 404 if the app has none such. */
  get(app: App, idOrVersion: string): Release;
  rollback(app: App, user: User, target: string): Promise<Release>;
}

export function createReleaseService(deps: { db: Db; deployer: Deployer }): ReleaseService {
  const { db, deployer } = deps;
  return {
    list: (app) => listReleases(db, app.id),
    get(app, target) {
      const rel = findRelease(db, app.id, target);
      if (!rel) throw new NotFoundError(`Couldn't find release ${target} of ${app.name}.`);
      return rel;
    },
    rollback: (app, user, target) => deployer.locked(app, async (app, tx) => {
      const old = findRelease(db, app.id, target);
      if (!old) throw new NotFoundError(`Couldn't find release ${target} of ${app.name}.`);
      const build = old.build_id ? findBuild(db, old.build_id) : null;
      if (!build || build.status !== 'succeeded') throw new InvalidParamsError(`Release v${old.version} has no build to roll back to.`);
      const release = await tx.release({ app, build, configId: old.config_id, description: `Rollback to v${old.version}`, user });
      setAppConfig(db, app.id, old.config_id);
      return release;
    }),
  };
}
