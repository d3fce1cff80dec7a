// The embedded store: SQLite through node:sqlite, one file under PAAS_DATA_DIR.
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { CI_SCHEMA } from './schema-ci.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  admin INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL REFERENCES users(id),
  config_id TEXT,
  maintenance INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collaborators (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  PRIMARY KEY (app_id, user_id)
);
CREATE TABLE IF NOT EXISTS builds (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  user_id TEXT,
  status TEXT NOT NULL,
  source_version TEXT,
  image TEXT,
  buildpack TEXT,
  process_types TEXT,
  config_vars TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS configs (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  vars TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  build_id TEXT REFERENCES builds(id),
  config_id TEXT NOT NULL REFERENCES configs(id),
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  user_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, version)
);
CREATE TABLE IF NOT EXISTS domains (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  hostname TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  domains TEXT NOT NULL,
  cert_pem TEXT NOT NULL,
  key_pem TEXT NOT NULL,
  issuer TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_tls (
  app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  acm INTEGER NOT NULL DEFAULT 0,
  redirect_https INTEGER NOT NULL DEFAULT 0,
  hsts INTEGER NOT NULL DEFAULT 0,
  acm_status TEXT NOT NULL DEFAULT '{}',
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS buildpack_installations (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  buildpack TEXT NOT NULL,
  PRIMARY KEY (app_id, ordinal)
);
CREATE TABLE IF NOT EXISTS formation (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  size TEXT NOT NULL DEFAULT 'standard',
  updated_at TEXT NOT NULL,
  PRIMARY KEY (app_id, type)
);
`;

export type Db = DatabaseSync;

export function openDb(file: string): Db {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  db.exec(SCHEMA);
  db.exec(CI_SCHEMA);
  migrate(db);
  return db;
}

const columns = (db: Db, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

/** Brings a database made by an older version to the schema above: config used to be copied
 *  into apps.config and releases.config; now both point at a row of `configs`, and a build
 *  keeps its buildpack's config defaults. */
function migrate(db: Db): void {
  if (!columns(db, 'builds').includes('config_vars')) db.exec('ALTER TABLE builds ADD COLUMN config_vars TEXT');
  for (const table of ['apps', 'releases']) {
    if (!columns(db, table).includes('config')) continue;
    transaction(db, () => {
      if (!columns(db, table).includes('config_id')) db.exec(`ALTER TABLE ${table} ADD COLUMN config_id TEXT REFERENCES configs(id)`);
      const rows = db.prepare(`SELECT id, ${table === 'apps' ? 'id' : 'app_id'} AS app_id, config FROM ${table}`).all() as Array<Record<string, string>>;
      const insert = db.prepare('INSERT INTO configs (id, app_id, vars, created_at) VALUES (?, ?, ?, ?)');
      const link = db.prepare(`UPDATE ${table} SET config_id = ? WHERE id = ?`);
      for (const row of rows) {
        const id = randomUUID();
        insert.run(id, row.app_id, row.config, now());
        link.run(id, row.id);
      }
      db.exec(`ALTER TABLE ${table} DROP COLUMN config`);
    });
  }
}

/** Runs fn inside one write transaction: all of it lands or none of it does. */
export function transaction<T>(db: Db, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

export const now = (): string => new Date().toISOString();
