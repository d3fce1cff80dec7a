// Add-ons, their attachments to apps, their backups and backup schedules (migration 5).

export const ADDON_SCHEMA = `
CREATE TABLE IF NOT EXISTS addons (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  service TEXT NOT NULL,
  plan TEXT NOT NULL,
  app_id TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  state TEXT NOT NULL,
  error TEXT,
  credentials TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS addons_live_name ON addons(name) WHERE state != 'deprovisioned';
CREATE TABLE IF NOT EXISTS addon_attachments (
  id TEXT PRIMARY KEY,
  addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (app_id, name)
);
CREATE TABLE IF NOT EXISTS addon_backups (
  id TEXT PRIMARY KEY,
  addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
  num INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  size INTEGER,
  sha256 TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  expires_at TEXT,
  UNIQUE (addon_id, num)
);
CREATE TABLE IF NOT EXISTS addon_backup_schedules (
  addon_id TEXT PRIMARY KEY REFERENCES addons(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  timezone TEXT NOT NULL,
  last_run_at TEXT,
  created_at TEXT NOT NULL
);
`;
