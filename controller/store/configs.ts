// Config vars as immutable rows (Deis's Config model): every change makes a new row; a release
// points at the row it runs with, and the app at the row it has now. Nothing is copied.
import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';

export type ConfigVars = Record<string, string>;

export interface ConfigRow {
  id: string;
  app_id: string;
  vars: ConfigVars;
  created_at: string;
}

type Row = Record<string, unknown>;
const toConfig = (r: Row): ConfigRow => ({
  id: String(r.id), app_id: String(r.app_id), vars: JSON.parse(String(r.vars)) as ConfigVars, created_at: String(r.created_at),
});

export function insertConfig(db: Db, appId: string, vars: ConfigVars): ConfigRow {
  const row: ConfigRow = { id: randomUUID(), app_id: appId, vars: { ...vars }, created_at: now() };
  db.prepare('INSERT INTO configs (id, app_id, vars, created_at) VALUES (?, ?, ?, ?)').run(row.id, appId, JSON.stringify(row.vars), row.created_at);
  return row;
}

export function findConfig(db: Db, id: string): ConfigRow | null {
  const row = db.prepare('SELECT * FROM configs WHERE id = ?').get(id) as Row | undefined;
  return row ? toConfig(row) : null;
}

/** The app's config vars now (what config:get shows and the next build and release get). */
export function appConfigVars(db: Db, appId: string): ConfigVars {
  const row = db.prepare('SELECT c.vars FROM apps a JOIN configs c ON c.id = a.config_id WHERE a.id = ?').get(appId) as Row | undefined;
  return row ? JSON.parse(String(row.vars)) as ConfigVars : {};
}

/** The app's config row now, made (empty) if it has none yet. */
export function appConfig(db: Db, appId: string): ConfigRow {
  const row = db.prepare('SELECT c.* FROM apps a JOIN configs c ON c.id = a.config_id WHERE a.id = ?').get(appId) as Row | undefined;
  if (row) return toConfig(row);
  const made = insertConfig(db, appId, {});
  setAppConfig(db, appId, made.id);
  return made;
}

export function setAppConfig(db: Db, appId: string, configId: string): void {
  db.prepare('UPDATE apps SET config_id = ?, updated_at = ? WHERE id = ?').run(configId, now(), appId);
}
