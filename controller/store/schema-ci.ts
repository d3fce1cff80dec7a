// Tables of the CI API: token scopes (deploy tokens), webhooks and their deliveries. Applied as
// migration 3 (store/migrations.ts): a change to these tables is a new migration there.
export const CI_SCHEMA = `
CREATE TABLE IF NOT EXISTS token_scopes (
  token_id TEXT PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  app_id TEXT REFERENCES apps(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  include TEXT NOT NULL,
  level TEXT NOT NULL,
  secret TEXT NOT NULL,
  auth_header TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  entity TEXT NOT NULL,
  action TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  num_attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_attempt TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
`;
