// Formation: how many dynos of each process type the app runs. Scaling records the new
// quantities and converges the dynos under the app's lock; if that fails, the old quantities
// come back, so the store never claims what does not run.
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { findBuild } from '../store/builds.ts';
import type { Db } from '../store/db.ts';
import { ensureFormation, setQuantity } from '../store/formation.ts';
import { currentRelease } from '../store/releases.ts';
import type { App, Build, Formation } from '../store/types.ts';
import type { Deployer } from './deployer.ts';
import { dynoTypes } from './dyno-spec.ts';

export const MAX_QUANTITY = 100;

/** `relative`: the quantity is added to the current one (Heroku's `web+1`, `web-1`). */
export interface ScaleUpdate { type: string; quantity: number; relative?: boolean }

export interface AppFormation {
  /** The current release's build (its process types and commands); null before the first release. */
  build: Build | null;
  rows: Formation[];
}

export interface FormationService {
  /** The app's process types (of its current release) with their quantities. */
  get(app: App): AppFormation;
  /** Checks the updates (404 for an unknown type, 422 for a quantity out of range), records
   *  them and converges the dynos; on failure the previous quantities are restored and the
   *  error thrown. */
  scale(app: App, updates: ScaleUpdate[]): Promise<AppFormation>;
}

/** The build of the app's current release, or null before the first release. */
export function currentBuild(db: Db, app: App): Build | null {
  const rel = currentRelease(db, app.id);
  return rel?.build_id ? findBuild(db, rel.build_id) : null;
}

function validType(u: ScaleUpdate, types: string[]): ScaleUpdate {
  if (!types.includes(u.type)) throw new NotFoundError(`Couldn't find that process type (${u.type}). Types: ${types.join(', ') || 'none yet (push code first)'}.`);
  return u.relative ? u : validQuantity(u);
}

function validQuantity(u: ScaleUpdate): ScaleUpdate {
  if (!Number.isInteger(u.quantity) || u.quantity < 0 || u.quantity > MAX_QUANTITY) {
    throw new InvalidParamsError(`quantity of ${u.type} must be an integer from 0 to ${MAX_QUANTITY}.`);
  }
  return u;
}

export function createFormationService(deps: { db: Db; deployer: Deployer }): FormationService {
  const { db } = deps;
  const get = (app: App): AppFormation => {
    const build = currentBuild(db, app);
    const types = build ? dynoTypes(build) : [];
    const rows = build ? ensureFormation(db, app.id, types).filter((f) => types.includes(f.type)) : [];
    return { build, rows };
  };
  return {
    get,
    async scale(app, requested) {
      const types = get(app).rows.map((f) => f.type);
      const checked = requested.map((u) => validType(u, types));
      return deps.deployer.locked(app, async (app, tx) => {
        const before = get(app).rows;
        // Relative changes count from the quantities under the lock.
        const updates = checked.map((u) => (u.relative
          ? validQuantity({ type: u.type, quantity: (before.find((f) => f.type === u.type)?.quantity ?? 0) + u.quantity })
          : u));
        for (const u of updates) setQuantity(db, app.id, u.type, u.quantity);
        try {
          await tx.applyFormation();
        } catch (err) {
          for (const f of before) setQuantity(db, app.id, f.type, f.quantity);
          throw err;
        }
        return get(app);
      });
    },
  };
}
