// Log drains of apps (Heroku's log-drain resource is made in controller/http/log-drains.ts).
// The URL is stored as given, credentials included: it is shown only redacted.
import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';

export interface LogDrain { id: string; app_id: string; url: string; token: string; created_at: string; updated_at: string }

export const LOG_DRAINS_SCHEMA = `
CREATE TABLE IF NOT EXISTS log_drains (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, url)
);
`;

const toDrain = (r: Record<string, unknown>): LogDrain => ({
  id: String(r.id), app_id: String(r.app_id), url: String(r.url), token: String(r.token), created_at: String(r.created_at), updated_at: String(r.updated_at),
});

export function insertLogDrain(db: Db, d: Pick<LogDrain, 'app_id' | 'url'>): LogDrain {
  const at = now();
  const drain: LogDrain = { ...d, id: randomUUID(), token: `d.${randomUUID()}`, created_at: at, updated_at: at };
  db.prepare('INSERT INTO log_drains (id, app_id, url, token, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(drain.id, drain.app_id, drain.url, drain.token, at, at);
  return drain;
}

export const listLogDrains = (db: Db, appId: string): LogDrain[] =>
  (db.prepare('SELECT * FROM log_drains WHERE app_id = ? ORDER BY created_at, id').all(appId) as Array<Record<string, unknown>>).map(toDrain);

/** Every drain with its app's current name (the shipper's list). */
export const allLogDrains = (db: Db): Array<LogDrain & { app: string }> =>
  (db.prepare('SELECT d.*, a.name AS app FROM log_drains d JOIN apps a ON a.id = d.app_id').all() as Array<Record<string, unknown>>)
    .map((r) => ({ ...toDrain(r), app: String(r.app) }));

export function removeLogDrain(db: Db, id: string): void {
  db.prepare('DELETE FROM log_drains WHERE id = ?').run(id);
}
