// The store's schema as one ordered list of migrations. `PRAGMA user_version` records the last
// one applied; opening a database applies the rest, each in its own transaction, so a database
// made by any earlier version (or none: a new file) ends at the same schema. Never edit a
// migration that has shipped: append a new one.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { ADDON_SCHEMA } from './schema-addons.ts';
import { CI_SCHEMA } from './schema-ci.ts';
import { LOG_DRAINS_SCHEMA } from './log-drains.ts';
import { errorMessage } from '../../common/errors.ts';

type Db = DatabaseSync;

export interface Migration {
  version: number;
  description: string;
  up: (db: Db) => void;
}

const columns = (db: Db, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

const addColumn = (db: Db, table: string, column: string, type: string): void => {
  if (!columns(db, table).includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
};

/** The schema before versioned migrations (commit 9a60ec8), app_settings included. Databases of
 *  that time have user_version 0 and all of it already: IF NOT EXISTS makes this a no-op there. */
const V1 = `
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
  config TEXT NOT NULL DEFAULT '{}',
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
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  build_id TEXT REFERENCES builds(id),
  config TEXT NOT NULL,
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
CREATE TABLE IF NOT EXISTS app_settings (
  app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  health_check_path TEXT,
  boot_timeout INTEGER,
  drain_grace INTEGER,
  updated_at TEXT NOT NULL
);
`;

export const MIGRATIONS: Migration[] = [
  { version: 1, description: 'schema of 9a60ec8', up: (db) => db.exec(V1) },
  {
    version: 2,
    description: 'config as immutable rows of `configs` that apps and releases point at; builds keep buildpack config defaults',
    up: (db) => {
      db.exec(`CREATE TABLE IF NOT EXISTS configs (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        vars TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`);
      addColumn(db, 'builds', 'config_vars', 'TEXT');
      for (const table of ['apps', 'releases']) {
        if (!columns(db, table).includes('config')) continue;
        addColumn(db, table, 'config_id', 'TEXT REFERENCES configs(id)');
        const rows = db.prepare(`SELECT id, ${table === 'apps' ? 'id' : 'app_id'} AS app_id, config FROM ${table}`).all() as Array<Record<string, string>>;
        const insert = db.prepare('INSERT INTO configs (id, app_id, vars, created_at) VALUES (?, ?, ?, ?)');
        const link = db.prepare(`UPDATE ${table} SET config_id = ? WHERE id = ?`);
        for (const row of rows) {
          const id = randomUUID();
          insert.run(id, row.app_id, row.config, new Date().toISOString());
          link.run(id, row.id);
        }
        db.exec(`ALTER TABLE ${table} DROP COLUMN config`);
      }
    },
  },
  { version: 3, description: 'CI API: token scopes, webhooks and their deliveries', up: (db) => db.exec(CI_SCHEMA) },
  {
    version: 4,
    description: 'off-boarding: users can be disabled, tokens can expire',
    up: (db) => {
      addColumn(db, 'users', 'disabled_at', 'TEXT');
      addColumn(db, 'tokens', 'expires_at', 'TEXT');
    },
  },
  { version: 5, description: 'add-ons: addons, attachments, backups, backup schedules', up: (db) => db.exec(ADDON_SCHEMA) },
  { version: 6, description: 'log drains', up: (db) => db.exec(LOG_DRAINS_SCHEMA) },
];

/** The version a database ends at. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

const userVersion = (db: Db): number => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);

/** Applies the migrations the database has not had yet, in order, each atomically. Two
 *  processes opening the same file at once apply each migration once (the version is read
 *  again inside each write transaction). */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): void {
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  const current = userVersion(db);
  if (current > newest) throw new Error(`The database is at schema version ${current}, newer than this paasd knows (${newest}): run a newer paasd.`);
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      if (userVersion(db) < m.version) {
        m.up(db);
        db.exec(`PRAGMA user_version = ${m.version}`);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`Schema migration ${m.version} (${m.description}) failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
