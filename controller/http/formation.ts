// Formation (process quantities), Heroku Platform API shapes.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import type { AppFormation, ScaleUpdate } from '../services/formation.ts';
import type { App, Build, Formation } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { FormationBatchBody, FormationOneBody } from './schemas/formation.ts';

type QuantityIn = Static<typeof FormationOneBody>['quantity'];

/** The body's update as the service takes it: a string quantity as Heroku's ("2", "+1", "-1"). */
function scaleUpdate(type: string, quantity: QuantityIn, size: string | undefined, rows: Formation[]): ScaleUpdate {
  const current = rows.find((f) => f.type === type)?.size;
  if (size !== undefined && current !== undefined && size.toLowerCase() !== current.toLowerCase()) {
    throw new InvalidParamsError(`Dyno sizes of process types cannot be changed here: every ${type} dyno is ${current}.`);
  }
  if (typeof quantity === 'number') return { type, quantity };
  return { type, quantity: Number(quantity), relative: /^[+-]/.test(quantity) };
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

export function formationRouter(deps: ApiDeps): Router {
  const r = Router();
  const json = (app: App, { build, rows }: AppFormation) => rows.map((f) => formationJson(app, build, f));

  r.get('/apps/:app/formation', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(json(app, deps.formation.get(app)));
  });

  r.get('/apps/:app/formation/:type', (req, res) => {
    const app = appParam(deps, req, res);
    const { build, rows } = deps.formation.get(app);
    const f = rows.find((x) => x.type === req.params.type);
    if (!f) throw new NotFoundError(`Couldn't find that process type (${req.params.type}).`);
    res.json(formationJson(app, build, f));
  });

  r.patch('/apps/:app/formation', async (req, res) => {
    const app = appParam(deps, req, res);
    const { rows } = deps.formation.get(app);
    const updates = (req.body as Static<typeof FormationBatchBody>).updates.map((u) => scaleUpdate(u.type, u.quantity, u.size, rows));
    res.json(json(app, await deps.formation.scale(app, updates)));
  });

  r.patch('/apps/:app/formation/:type', async (req, res) => {
    const app = appParam(deps, req, res);
    const type = String(req.params.type);
    const body = req.body as Static<typeof FormationOneBody>;
    const { build, rows } = await deps.formation.scale(app, [scaleUpdate(type, body.quantity, body.size, deps.formation.get(app).rows)]);
    res.json(formationJson(app, build, rows.find((f) => f.type === type) as Formation));
  });

  return r;
}
