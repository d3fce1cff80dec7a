import { now, type Db } from './db.ts';
import type { Formation } from './types.ts';

type Row = Record<string, unknown>;

const toFormation = (r: Row): Formation => ({
  app_id: String(r.app_id), type: String(r.type), quantity: Number(r.quantity), size: String(r.size), updated_at: String(r.updated_at),
});

export function listFormation(db: Db, appId: string): Formation[] {
  return (db.prepare('SELECT * FROM formation WHERE app_id = ? ORDER BY type').all(appId) as Row[]).map(toFormation);
}

/** Makes sure every process type has a formation row; new types start at 1 for web, 0 otherwise (as Heroku). */
export function ensureFormation(db: Db, appId: string, types: string[]): Formation[] {
  const insert = db.prepare(`INSERT OR IGNORE INTO formation (app_id, type, quantity, size, updated_at) VALUES (?, ?, ?, 'standard', ?)`);
  for (const type of types) insert.run(appId, type, type === 'web' ? 1 : 0, now());
  return listFormation(db, appId);
}

export function setQuantity(db: Db, appId: string, type: string, quantity: number): void {
  db.prepare('UPDATE formation SET quantity = ?, updated_at = ? WHERE app_id = ? AND type = ?').run(quantity, now(), appId, type);
}
