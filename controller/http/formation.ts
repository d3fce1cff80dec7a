// Formation (process quantities), Heroku Platform API shapes.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { dynoTypes } from '../services/dyno-spec.ts';
import { findBuild } from '../store/builds.ts';
import type { Db } from '../store/db.ts';
import { ensureFormation, setQuantity } from '../store/formation.ts';
import { currentRelease } from '../store/releases.ts';
import type { App, Build, Formation } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { FormationBatchBody, FormationOneBody } from './schemas/formation.ts';

export function currentBuild(db: Db, app: App): Build | null {
  const rel = currentRelease(db, app.id);
  return rel?.build_id ? findBuild(db, rel.build_id) : null;
}

function formationJson(app: App, build: Build | null, f: Formation) {
  return {
    id: `${app.id}:${f.type}`,
    app: { id: app.id, name: app.name },
    type: f.type,
    quantity: f.quantity,
    size: f.size,
    command: build?.process_types[f.type] ?? null,
    updated_at: f.updated_at,
  };
}

function formationOf(db: Db, app: App): { build: Build | null; rows: Formation[] } {
  const build = currentBuild(db, app);
  const types = build ? dynoTypes(build) : [];
  const rows = build ? ensureFormation(db, app.id, types).filter((f) => types.includes(f.type)) : [];
  return { build, rows };
}

interface Update { type: string; quantity: number }

/** Types and quantities are checked by the schemas (FormationBatchBody); the type must exist. */
function validUpdate(u: Update, types: string[]): Update {
  if (!types.includes(u.type)) throw new NotFoundError(`Couldn't find that process type (${u.type}). Types: ${types.join(', ') || 'none yet (push code first)'}.`);
  return u;
}

export function formationRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/apps/:app/formation', (req, res) => {
    const app = appParam(deps, req, res);
    const { build, rows } = formationOf(db, app);
    res.json(rows.map((f) => formationJson(app, build, f)));
  });

  r.get('/apps/:app/formation/:type', (req, res) => {
    const app = appParam(deps, req, res);
    const { build, rows } = formationOf(db, app);
    const f = rows.find((x) => x.type === req.params.type);
    if (!f) throw new NotFoundError(`Couldn't find that process type (${req.params.type}).`);
    res.json(formationJson(app, build, f));
  });

  async function apply(app: App, raw: Update[]): Promise<void> {
    const { rows } = formationOf(db, app);
    const updates = raw.map((u) => validUpdate(u, rows.map((f) => f.type)));
    const before = new Map(rows.map((f) => [f.type, f.quantity]));
    for (const u of updates) setQuantity(db, app.id, u.type, u.quantity);
    try {
      await deps.deployer.applyFormation(app);
    } catch (err) {
      for (const [type, quantity] of before) setQuantity(db, app.id, type, quantity);
      throw err;
    }
  }

  r.patch('/apps/:app/formation', async (req, res) => {
    const app = appParam(deps, req, res);
    await apply(app, (req.body as Static<typeof FormationBatchBody>).updates);
    const { build, rows } = formationOf(db, app);
    res.json(rows.map((f) => formationJson(app, build, f)));
  });

  r.patch('/apps/:app/formation/:type', async (req, res) => {
    const app = appParam(deps, req, res);
    await apply(app, [{ quantity: (req.body as Static<typeof FormationOneBody>).quantity, type: String(req.params.type) }]);
    const { build, rows } = formationOf(db, app);
    res.json(formationJson(app, build, rows.find((f) => f.type === req.params.type) as Formation));
  });

  return r;
}
