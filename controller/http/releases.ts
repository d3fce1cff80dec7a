import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { currentUser } from './auth.ts';
import { releaseConfigVars } from '../services/releases.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { RollbackBody } from './schemas/releases.ts';
import { releaseJson } from './serializers.ts';

export function releasesRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/apps/:app/releases', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(deps.releases.list(app).map((rel) => releaseJson(db, app, rel)));
  });

  r.get('/apps/:app/releases/:release', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(releaseJson(db, app, deps.releases.get(app, String(req.params.release))));
  });

  // Heroku's releases:info reads the config vars a release runs with.
  r.get('/apps/:app/releases/:release/config-vars', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(releaseConfigVars(db, deps.releases.get(app, String(req.params.release))));
  });

  // Rollback, as Heroku: POST {"release": "<id or version>"} makes a NEW release from the old pair.
  r.post('/apps/:app/releases', async (req, res) => {
    const app = appParam(deps, req, res);
    const target = (req.body as Static<typeof RollbackBody>).release;
    const rel = await deps.releases.rollback(app, currentUser(res), String(target));
    res.status(201).json(releaseJson(db, app, rel));
  });

  return r;
}
