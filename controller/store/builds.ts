import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';
import type { Build, BuildStatus } from './types.ts';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const toBuild = (r: Row): Build => ({
  id: String(r.id),
  app_id: String(r.app_id),
  user_id: str(r.user_id),
  status: String(r.status) as BuildStatus,
  source_version: str(r.source_version),
  image: str(r.image),
  buildpack: str(r.buildpack),
  process_types: r.process_types ? JSON.parse(String(r.process_types)) as Record<string, string | null> : {},
  config_vars: r.config_vars ? JSON.parse(String(r.config_vars)) as Record<string, string> : {},
  error: str(r.error),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export function insertBuild(db: Db, appId: string, userId: string | null, sourceVersion: string | null): Build {
  const at = now();
  const id = randomUUID();
  db.prepare(`INSERT INTO builds (id, app_id, user_id, status, source_version, created_at, updated_at)
              VALUES (?, ?, ?, 'pending', ?, ?, ?)`).run(id, appId, userId, sourceVersion, at, at);
  return findBuild(db, id) as Build;
}

export interface BuildOutcome {
  status: 'succeeded' | 'failed';
  image?: string | null;
  buildpack?: string | null;
  processTypes?: Record<string, string | null>;
  configVars?: Record<string, string>;
  error?: string | null;
}

export function finishBuild(db: Db, id: string, outcome: BuildOutcome): Build {
  db.prepare(`UPDATE builds SET status = ?, image = ?, buildpack = ?, process_types = ?, config_vars = ?, error = ?, updated_at = ? WHERE id = ?`)
    .run(outcome.status, outcome.image ?? null, outcome.buildpack ?? null,
      outcome.processTypes ? JSON.stringify(outcome.processTypes) : null,
      outcome.configVars ? JSON.stringify(outcome.configVars) : null, outcome.error ?? null, now(), id);
  return findBuild(db, id) as Build;
}

export function findBuild(db: Db, id: string): Build | null {
  const row = db.prepare('SELECT * FROM builds WHERE id = ?').get(id) as Row | undefined;
  return row ? toBuild(row) : null;
}

export function listBuilds(db: Db, appId: string): Build[] {
  return (db.prepare('SELECT * FROM builds WHERE app_id = ? ORDER BY created_at').all(appId) as Row[]).map(toBuild);
}

/** Builds left pending by a controller that stopped mid-build are failed on start; returns their ids. */
export function failAbandonedBuilds(db: Db): string[] {
  const rows = db.prepare(`UPDATE builds SET status = 'failed', error = 'build interrupted by a platform restart', updated_at = ?
                           WHERE status = 'pending' RETURNING id`).all(now()) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
