// Deploy checks of an app: GET and PATCH /apps/:app/checks (services/checks.ts).
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { appChecks, changeChecks, type AppSettings } from '../services/checks.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { ChecksPatch } from './schemas/domains.ts';

const checksJson = (app: App, s: AppSettings) => ({
  app: { id: app.id, name: app.name },
  health_check_path: s.healthCheckPath,
  boot_timeout: s.bootTimeoutSec,
  drain_grace: s.drainGraceSec,
});

export function checksRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps/:app/checks', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(checksJson(app, appChecks(db, config, app)));
  });

  r.patch('/apps/:app/checks', (req, res) => {
    const app = appParam(deps, req, res);
    // Known fields of the right types only (ChecksPatch); the ranges are the service's to check.
    res.json(checksJson(app, changeChecks(db, config, app, req.body as Static<typeof ChecksPatch>)));
  });

  return r;
}
