import { Router } from 'express';
import { InvalidParamsError } from '../../common/errors.ts';
import { listAppsFor } from '../store/apps.ts';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { appJson } from './serializers.ts';

export function appsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps', (_req, res) => {
    res.json(listAppsFor(db, currentUser(res)).map((a) => appJson(db, config, a)));
  });

  r.post('/apps', async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown };
    if (body.name !== undefined && typeof body.name !== 'string') throw new InvalidParamsError('name must be a string.');
    const app = await deps.apps.create(currentUser(res), body.name as string | undefined);
    res.status(201).json(appJson(db, config, app));
  });

  r.get('/apps/:app', (req, res) => {
    res.json(appJson(db, config, appParam(deps, req, res)));
  });

  r.delete('/apps/:app', async (req, res) => {
    const app = appParam(deps, req, res);
    const json = appJson(db, config, app);
    await deps.apps.destroy(app);
    res.json(json);
  });

  return r;
}
