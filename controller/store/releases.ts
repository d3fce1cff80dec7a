import { randomUUID } from 'node:crypto';
import { now, transaction, type Db } from './db.ts';
import type { Release, ReleaseStatus } from './types.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const toRelease = (r: Row): Release => ({
  id: String(r.id),
  app_id: String(r.app_id),
  version: Number(r.version),
  build_id: str(r.build_id),
  config_id: String(r.config_id),
  description: String(r.description),
  status: String(r.status) as ReleaseStatus,
  error: str(r.error),
  user_id: str(r.user_id),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export interface NewRelease {
  appId: string;
  buildId: string | null;
  configId: string;
  description: string;
  userId: string | null;
}

/** Allocates the next version (latest + 1, failed ones included) and records it as pending. */
export function insertRelease(db: Db, r: NewRelease): Release {
  return transaction(db, () => {
    const row = db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM releases WHERE app_id = ?').get(r.appId) as Row;
    const at = now();
    const id = randomUUID();
    db.prepare(`INSERT INTO releases (id, app_id, version, build_id, config_id, description, status, user_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`)
      .run(id, r.appId, Number(row.v), r.buildId, r.configId, r.description, r.userId, at, at);
    return findRelease(db, r.appId, id) as Release;
  });
}

export function setReleaseStatus(db: Db, id: string, status: ReleaseStatus, error: string | null = null): void {
  db.prepare('UPDATE releases SET status = ?, error = ?, updated_at = ? WHERE id = ?').run(status, error, now(), id);
}

/** By id or by version number ("3" or "v3"). */
export function findRelease(db: Db, appId: string, idOrVersion: string): Release | null {
  const m = /^v?(\d+)$/.exec(idOrVersion);
  const row = m
    ? db.prepare('SELECT * FROM releases WHERE app_id = ? AND version = ?').get(appId, Number(m[1]))
    : db.prepare('SELECT * FROM releases WHERE app_id = ? AND id = ?').get(appId, idOrVersion);
  return row ? toRelease(row as Row) : null;
}

export function listReleases(db: Db, appId: string): Release[] {
  return (db.prepare('SELECT * FROM releases WHERE app_id = ? ORDER BY version').all(appId) as Row[]).map(toRelease);
}

/** The current release: the latest one that succeeded. */
export function currentRelease(db: Db, appId: string): Release | null {
  const row = db.prepare(`SELECT * FROM releases WHERE app_id = ? AND status = 'succeeded' ORDER BY version DESC LIMIT 1`)
    .get(appId) as Row | undefined;
  return row ? toRelease(row) : null;
}

export function failAbandonedReleases(db: Db): number {
  const r = db.prepare(`UPDATE releases SET status = 'failed', error = 'release interrupted by a platform restart', updated_at = ?
                        WHERE status = 'pending'`).run(now());
  return Number(r.changes);
}
