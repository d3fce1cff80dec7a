import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { currentUser } from './auth.ts';
import { findRelease, listReleases } from '../store/releases.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { RollbackBody } from './schemas/releases.ts';
import { releaseJson } from './serializers.ts';

export function releasesRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/apps/:app/releases', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listReleases(db, app.id).map((rel) => releaseJson(db, app, rel)));
  });

  r.get('/apps/:app/releases/:release', (req, res) => {
    const app = appParam(deps, req, res);
    const rel = findRelease(db, app.id, String(req.params.release));
    if (!rel) throw new NotFoundError(`Couldn't find release ${req.params.release} of ${app.name}.`);
    res.json(releaseJson(db, app, rel));
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
