import fs from 'node:fs';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { findBuild, listBuilds } from '../store/builds.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { buildJson } from './serializers.ts';

export function buildsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps/:app/builds', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listBuilds(db, app.id).map((b) => buildJson(db, config, app, b)));
  });

  r.get('/apps/:app/builds/:build', (req, res) => {
    const app = appParam(deps, req, res);
    const build = findBuild(db, String(req.params.build));
    if (!build || build.app_id !== app.id) throw new NotFoundError(`Couldn't find build ${req.params.build}.`);
    res.json(buildJson(db, config, app, build));
  });

  r.get('/apps/:app/builds/:build/output', (req, res) => {
    const app = appParam(deps, req, res);
    const build = findBuild(db, String(req.params.build));
    if (!build || build.app_id !== app.id) throw new NotFoundError(`Couldn't find build ${req.params.build}.`);
    const file = deps.builds.logPath(build.id);
    if (!fs.existsSync(file)) throw new NotFoundError('No output was recorded for this build.');
    res.type('text/plain; charset=utf-8');
    fs.createReadStream(file).pipe(res);
  });

  return r;
}
