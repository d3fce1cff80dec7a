// Deploy checks of an app (a paas extension, named after Dokku's `checks`): the web health
// check path, the boot timeout and the drain grace, under their API names. They take effect
// from the next cutover (deploy, config change, scale, restart); config vars never carry them.
import type { Config } from '../../common/config.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import { appSettingsProblem, defaultAppSettings, getAppSettings, setAppSettings, type AppSettings, type AppSettingsPatch } from '../store/app-settings.ts';
import type { Db } from '../store/db.ts';
import type { App } from '../store/types.ts';

export type { AppSettings } from '../store/app-settings.ts';

/** API name → stored setting. */
const FIELDS = { health_check_path: 'healthCheckPath', boot_timeout: 'bootTimeoutSec', drain_grace: 'drainGraceSec' } as const;
/** A change by API name; null resets a setting to the platform default. */
export type ChecksChange = { [K in keyof typeof FIELDS]?: unknown };

export const appChecks = (db: Db, config: Config, app: App): AppSettings =>
  getAppSettings(db, app.id, defaultAppSettings(config));

/** Applies a change (422 naming the API field when a value is out of range); the settings after it. */
export function changeChecks(db: Db, config: Config, app: App, change: ChecksChange): AppSettings {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(change)) patch[FIELDS[key as keyof typeof FIELDS]] = value;
  const problem = appSettingsProblem(patch);
  if (problem) throw new InvalidParamsError(Object.entries(FIELDS).reduce((msg, [api, field]) => msg.replaceAll(field, api), problem));
  setAppSettings(db, app.id, patch as AppSettingsPatch);
  return appChecks(db, config, app);
}
