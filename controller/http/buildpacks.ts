// An app's buildpack list, as Heroku's API has it: GET and PUT /apps/:app/buildpack-installations.
// PUT replaces the whole list ({updates: [{buildpack}]}); the CLI adds, sets and removes with it.
// The rules: services/buildpacks.ts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { appBuildpacks, replaceBuildpacks } from '../services/buildpacks.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { BuildpacksBody } from './schemas/builds.ts';

export function buildpacksRouter(deps: ApiDeps): Router {
  const r = Router();
  const json = (app: App, list: string[]) =>
    list.map((buildpack, ordinal) => ({ ordinal, buildpack: { url: buildpack, name: buildpack }, app: { id: app.id, name: app.name } }));

  r.get('/apps/:app/buildpack-installations', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(json(app, appBuildpacks(deps.db, app)));
  });

  r.put('/apps/:app/buildpack-installations', (req, res) => {
    const app = appParam(deps, req, res);
    const { updates } = req.body as Static<typeof BuildpacksBody>;
    res.json(json(app, replaceBuildpacks(deps.db, deps.config, app, updates.map((u) => u.buildpack))));
  });

  return r;
}
