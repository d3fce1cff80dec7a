// Deploy checks of an app (a paas extension, named after Dokku's `checks`): the web health
// check path, the boot timeout and the drain grace. They take effect from the next cutover
// (deploy, config change, scale, restart); config vars never carry them.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { InvalidParamsError } from '../../common/errors.ts';
import { appSettingsProblem, defaultAppSettings, getAppSettings, setAppSettings, type AppSettingsPatch } from '../store/app-settings.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { ChecksPatch } from './schemas/domains.ts';

/** API name → stored setting. */
const FIELDS = { health_check_path: 'healthCheckPath', boot_timeout: 'bootTimeoutSec', drain_grace: 'drainGraceSec' } as const;

export function checksRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  const checksJson = (app: App) => {
    const s = getAppSettings(db, app.id, defaultAppSettings(config));
    return {
      app: { id: app.id, name: app.name },
      health_check_path: s.healthCheckPath,
      boot_timeout: s.bootTimeoutSec,
      drain_grace: s.drainGraceSec,
    };
  };

  r.get('/apps/:app/checks', (req, res) => {
    res.json(checksJson(appParam(deps, req, res)));
  });

  r.patch('/apps/:app/checks', (req, res) => {
    const app = appParam(deps, req, res);
    // Known fields of the right types only (ChecksPatch); the ranges are the store's to check.
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(req.body as Static<typeof ChecksPatch>)) patch[FIELDS[key as keyof typeof FIELDS]] = value;
    const problem = appSettingsProblem(patch);
    if (problem) {
      // Name the field as the API does.
      const named = Object.entries(FIELDS).reduce((msg, [api, field]) => msg.replaceAll(field, api), problem);
      throw new InvalidParamsError(named);
    }
    setAppSettings(db, app.id, patch as AppSettingsPatch);
    res.json(checksJson(app));
  });

  return r;
}
