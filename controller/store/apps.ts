import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';
import type { App, User } from './types.ts';

type Row = Record<string, unknown>;

const toApp = (r: Row): App => ({
  id: String(r.id),
  name: String(r.name),
  owner_id: String(r.owner_id),
  maintenance: r.maintenance === 1,
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export function insertApp(db: Db, name: string, ownerId: string): App {
  const at = now();
  const app: App = { id: randomUUID(), name, owner_id: ownerId, maintenance: false, created_at: at, updated_at: at };
  db.prepare('INSERT INTO apps (id, name, owner_id, maintenance, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)')
    .run(app.id, app.name, app.owner_id, at, at);
  return app;
}

export function findApp(db: Db, nameOrId: string): App | null {
  const row = db.prepare('SELECT * FROM apps WHERE name = ? OR id = ?').get(nameOrId, nameOrId) as Row | undefined;
  return row ? toApp(row) : null;
}

export function listApps(db: Db): App[] {
  return (db.prepare('SELECT * FROM apps ORDER BY name').all() as Row[]).map(toApp);
}

/** Apps the user owns or collaborates on; admins see every app. */
export function listAppsFor(db: Db, user: User): App[] {
  return user.admin ? listApps(db) : listAppsOf(db, user);
}

/** The apps a user owns or collaborates on (an admin's too: not every app). */
export function listAppsOf(db: Db, user: User): App[] {
  const rows = db.prepare(
    `SELECT * FROM apps WHERE owner_id = ? OR id IN (SELECT app_id FROM collaborators WHERE user_id = ?) ORDER BY name`,
  ).all(user.id, user.id) as Row[];
  return rows.map(toApp);
}

export function canAccess(db: Db, user: User, app: App): boolean {
  if (user.admin || app.owner_id === user.id) return true;
  return db.prepare('SELECT 1 FROM collaborators WHERE app_id = ? AND user_id = ?').get(app.id, user.id) !== undefined;
}

export function deleteApp(db: Db, id: string): void {
  db.prepare('DELETE FROM apps WHERE id = ?').run(id);
}

/** Renames the app. Everything else refers to it by id, so releases, config, domains,
 *  collaborators, formation and settings stay as they are. */
export function renameApp(db: Db, id: string, name: string): void {
  db.prepare('UPDATE apps SET name = ?, updated_at = ? WHERE id = ?').run(name, now(), id);
}

export function setMaintenance(db: Db, id: string, on: boolean): void {
  db.prepare('UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?').run(on ? 1 : 0, now(), id);
}

export function addCollaborator(db: Db, appId: string, userId: string): void {
  db.prepare('INSERT OR IGNORE INTO collaborators (app_id, user_id, created_at) VALUES (?, ?, ?)').run(appId, userId, now());
}

export function removeCollaborator(db: Db, appId: string, userId: string): boolean {
  return Number(db.prepare('DELETE FROM collaborators WHERE app_id = ? AND user_id = ?').run(appId, userId).changes) > 0;
}

export function listCollaborators(db: Db, appId: string): Array<{ user_id: string; email: string; created_at: string }> {
  return db.prepare(`SELECT c.user_id, u.email, c.created_at FROM collaborators c JOIN users u ON u.id = c.user_id
                     WHERE c.app_id = ? ORDER BY u.email`).all(appId) as Array<{ user_id: string; email: string; created_at: string }>;
}
