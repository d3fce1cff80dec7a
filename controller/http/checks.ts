// Deploy checks of an app (a paas extension, named after Dokku's `checks`): the web health
// check path, the boot timeout and the drain grace. They take effect from the next cutover
// (deploy, config change, scale, restart); config vars never carry them.
import { Router } from 'express';
import { InvalidParamsError } from '../../common/errors.ts';
import { appSettingsProblem, defaultAppSettings, getAppSettings, setAppSettings, type AppSettingsPatch } from '../store/app-settings.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';

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
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidParamsError('Give the checks to change, e.g. {"health_check_path": "/up", "boot_timeout": 60}.');
    }
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      const field = (FIELDS as Record<string, string>)[key];
      if (!field) throw new InvalidParamsError(`Unknown check ${key}: use ${Object.keys(FIELDS).join(', ')}.`);
      patch[field] = value;
    }
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
