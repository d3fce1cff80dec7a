import { Router } from 'express';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';

export function configVarsRouter(deps: ApiDeps): Router {
  const r = Router();

  r.get('/apps/:app/config-vars', (req, res) => {
    res.json(deps.configVars.get(appParam(deps, req, res)));
  });

  r.patch('/apps/:app/config-vars', async (req, res) => {
    const app = appParam(deps, req, res);
    const { config } = await deps.configVars.apply(app, req.body, { user: currentUser(res) });
    res.json(config);
  });

  return r;
}
