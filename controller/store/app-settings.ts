// Per-app deploy settings: the web health check path, the boot timeout and the drain grace.
// Kept apart from config vars so they never reach the app's environment. A missing row or a
// NULL column means "the platform default" (common/config.ts). The table: store/migrations.ts.
import type { Config } from '../../common/config.ts';
import { now, type Db } from './db.ts';

export interface AppSettings {
  /** Path of the health check GET (any status below 500 passes). */
  healthCheckPath: string;
  /** Seconds a new web dyno has to pass its health check. */
  bootTimeoutSec: number;
  /** Seconds a retired dyno gets to finish requests in flight, then again from SIGTERM to SIGKILL. */
  drainGraceSec: number;
}

/** null resets a setting to the platform default; absent leaves it as is. */
export type AppSettingsPatch = { [K in keyof AppSettings]?: AppSettings[K] | null };

export const SETTING_LIMITS = { bootTimeoutSec: [1, 600], drainGraceSec: [0, 600] } as const;

export const defaultAppSettings = (config: Config): AppSettings => ({
  healthCheckPath: config.healthCheckPath, bootTimeoutSec: config.bootTimeout, drainGraceSec: config.drainGrace,
});

type Row = { health_check_path: string | null; boot_timeout: number | null; drain_grace: number | null };

/** The app's effective settings: its own where set, else the defaults. */
export function getAppSettings(db: Db, appId: string, defaults: AppSettings): AppSettings {
  const row = db.prepare('SELECT health_check_path, boot_timeout, drain_grace FROM app_settings WHERE app_id = ?').get(appId) as Row | undefined;
  return {
    healthCheckPath: row?.health_check_path ?? defaults.healthCheckPath,
    bootTimeoutSec: row?.boot_timeout ?? defaults.bootTimeoutSec,
    drainGraceSec: row?.drain_grace ?? defaults.drainGraceSec,
  };
}

/** What is wrong with a patch (for a 422), or null when it can be stored. */
export function appSettingsProblem(patch: unknown): string | null {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'Settings must be an object.';
  const p = patch as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!['healthCheckPath', 'bootTimeoutSec', 'drainGraceSec'].includes(key)) return `Unknown setting ${key}.`;
  }
  const path = p.healthCheckPath;
  if (path !== undefined && path !== null && (typeof path !== 'string' || !/^\/[\x21-\x7e]{0,255}$/.test(path))) {
    return 'healthCheckPath must start with "/" and contain no spaces (at most 256 characters).';
  }
  for (const key of ['bootTimeoutSec', 'drainGraceSec'] as const) {
    const v = p[key];
    const [min, max] = SETTING_LIMITS[key];
    if (v !== undefined && v !== null && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) {
      return `${key} must be an integer from ${min} to ${max}.`;
    }
  }
  return null;
}

/** Stores a patch checked with appSettingsProblem (it throws on an invalid one). */
export function setAppSettings(db: Db, appId: string, patch: AppSettingsPatch): void {
  const problem = appSettingsProblem(patch);
  if (problem) throw new Error(problem);
  db.prepare(`INSERT OR IGNORE INTO app_settings (app_id, updated_at) VALUES (?, ?)`).run(appId, now());
  const columns = { healthCheckPath: 'health_check_path', bootTimeoutSec: 'boot_timeout', drainGraceSec: 'drain_grace' } as const;
  for (const [key, column] of Object.entries(columns) as Array<[keyof AppSettings, string]>) {
    if (patch[key] === undefined) continue;
    db.prepare(`UPDATE app_settings SET ${column} = ?, updated_at = ? WHERE app_id = ?`).run(patch[key], now(), appId);
  }
}
