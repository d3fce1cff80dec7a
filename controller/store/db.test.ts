// A database made before configs had their own table opens with its config vars intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { findApp } from './apps.ts';
import { appConfigVars, findConfig } from './configs.ts';
import { openDb } from './db.ts';
import { findRelease } from './releases.ts';

test('an old database: apps.config and releases.config become config rows the app and releases point at', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-db-'));
  const file = path.join(dir, 'paas.db');
  const old = new DatabaseSync(file);
  old.exec(`
    CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, admin INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
    CREATE TABLE apps (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner_id TEXT NOT NULL REFERENCES users(id),
      config TEXT NOT NULL DEFAULT '{}', maintenance INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE builds (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT, status TEXT NOT NULL, source_version TEXT, image TEXT,
      buildpack TEXT, process_types TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE releases (id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, version INTEGER NOT NULL,
      build_id TEXT REFERENCES builds(id), config TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
      user_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, version));
    INSERT INTO users VALUES ('u1', 'a@example.com', 1, 't');
    INSERT INTO apps VALUES ('a1', 'old', 'u1', '{"A":"1"}', 0, 't', 't');
    INSERT INTO releases VALUES ('r1', 'a1', 1, NULL, '{"A":"0","WEB_CONCURRENCY":"2"}', 'Deploy', 'succeeded', NULL, NULL, 't', 't');
  `);
  old.close();
  try {
    const db = openDb(file);
    assert.deepEqual(appConfigVars(db, 'a1'), { A: '1' });
    assert.equal('config' in (findApp(db, 'old') as object), false);
    const rel = findRelease(db, 'a1', '1')!;
    assert.deepEqual(findConfig(db, rel.config_id)?.vars, { A: '0', WEB_CONCURRENCY: '2' });
    db.close();
    openDb(file).close(); // a second open finds nothing left to migrate
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
