// Upgrades keep data: a database made by the store code before versioned migrations (a dump in
// fixtures/, made by commit 9a60ec8's own store functions) opens, migrates and keeps every row.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { findApp } from './apps.ts';
import { getAppSettings } from './app-settings.ts';
import { listBuildpacks } from './buildpacks.ts';
import { httpsSettings, listCerts } from './certs.ts';
import { appConfigVars, findConfig } from './configs.ts';
import { openDb } from './db.ts';
import { listDomains } from './domains.ts';
import { listFormation } from './formation.ts';
import { LATEST_VERSION, migrate, MIGRATIONS, type Migration } from './migrations.ts';
import { listReleases } from './releases.ts';
import { userForToken } from './users.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-migrate-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const fixture = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'paas-9a60ec8.sql'), 'utf8');

function oldDatabase(name: string): string {
  const file = path.join(dir, name);
  const old = new DatabaseSync(file);
  old.exec(fixture);
  old.close();
  return file;
}

const version = (db: DatabaseSync): number => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);

/** table -> sorted column names, and the index names: what the code relies on. */
function shape(db: DatabaseSync): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
  for (const { name } of tables) {
    out[name] = (db.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string }>).map((c) => c.name).sort();
  }
  out['(indexes)'] = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>)
    .map((i) => i.name).sort();
  return out;
}

test('a database made by the schema before versioned migrations migrates with every row kept', () => {
  const file = oldDatabase('old.db');
  const db = openDb(file);
  try {
    assert.equal(version(db), LATEST_VERSION);
    const app = findApp(db, 'shop')!;
    assert.ok(app);
    assert.deepEqual(appConfigVars(db, app.id), { DATABASE_URL: 'postgres://x', WEB_CONCURRENCY: '2' });
    const releases = listReleases(db, app.id);
    assert.deepEqual(releases.map((r) => [r.version, r.status, findConfig(db, r.config_id)?.vars]).sort(), [
      [1, 'succeeded', { DATABASE_URL: 'postgres://x' }],
      [2, 'succeeded', { DATABASE_URL: 'postgres://x', WEB_CONCURRENCY: '2' }],
    ]);
    const token = /dev@example\.com's token: (\S+)/.exec(fixture)![1];
    assert.equal(userForToken(db, token)?.email, 'dev@example.com');
    assert.deepEqual(listDomains(db, app.id).map((d) => d.hostname), ['www.shop.example']);
    assert.equal(listCerts(db, app.id).length, 1);
    assert.equal(httpsSettings(db, app.id).redirectHttps, true);
    assert.deepEqual(listBuildpacks(db, app.id), ['heroku/nodejs']);
    assert.deepEqual(listFormation(db, app.id).map((f) => [f.type, f.quantity]).sort(), [['web', 2], ['worker', 0]]);
    assert.equal(getAppSettings(db, app.id, { healthCheckPath: '/', bootTimeoutSec: 60, drainGraceSec: 30 }).healthCheckPath, '/up');
    // The migrated schema is the one a new database gets.
    const fresh = openDb(path.join(dir, 'fresh.db'));
    assert.deepEqual(shape(db), shape(fresh));
    fresh.close();
  } finally {
    db.close();
  }
  const again = openDb(file); // nothing left to apply
  assert.equal(version(again), LATEST_VERSION);
  again.close();
});

test('migrations are one ordered list; a database newer than the code is refused', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  const db = new DatabaseSync(':memory:');
  db.exec(`PRAGMA user_version = ${LATEST_VERSION + 1}`);
  assert.throws(() => migrate(db), /newer than this paasd knows/);
});

test('a failing migration leaves the database as it was, at its version', () => {
  const file = oldDatabase('failing.db');
  const db = new DatabaseSync(file);
  const failing: Migration[] = [
    ...MIGRATIONS,
    { version: LATEST_VERSION + 1, description: 'breaks halfway', up: (d) => { d.exec('ALTER TABLE users ADD COLUMN half TEXT'); d.exec('SELECT * FROM no_such_table'); } },
  ];
  assert.throws(() => migrate(db, failing), new RegExp(`Schema migration ${LATEST_VERSION + 1} \\(breaks halfway\\) failed`));
  assert.equal(version(db), LATEST_VERSION);
  assert.equal((db.prepare('PRAGMA table_info(users)').all() as Array<{ name: string }>).some((c) => c.name === 'half'), false);
  db.close();
});
