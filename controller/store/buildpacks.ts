// An app's buildpack list (Heroku's buildpack installations): ordered entries, replaced whole.
import { transaction, type Db } from './db.ts';

export function listBuildpacks(db: Db, appId: string): string[] {
  const rows = db.prepare('SELECT buildpack FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal').all(appId) as Array<{ buildpack: string }>;
  return rows.map((r) => r.buildpack);
}

export function setBuildpacks(db: Db, appId: string, buildpacks: string[]): void {
  transaction(db, () => {
    db.prepare('DELETE FROM buildpack_installations WHERE app_id = ?').run(appId);
    const insert = db.prepare('INSERT INTO buildpack_installations (app_id, ordinal, buildpack) VALUES (?, ?, ?)');
    buildpacks.forEach((b, i) => insert.run(appId, i, b));
  });
}
