// First start: an admin user whose API token is written to $PAAS_DATA_DIR/admin.token (0600),
// and the git hook's shared secret.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './store/db.ts';
import { countUsers, createUser, issueToken } from './store/users.ts';

export const ADMIN_EMAIL = 'admin@paas.local';

export function bootstrapAdmin(db: Db, dataDir: string): string | null {
  if (countUsers(db) > 0) return null;
  const admin = createUser(db, ADMIN_EMAIL, true);
  const { token } = issueToken(db, admin.id, 'bootstrap admin token');
  const file = path.join(dataDir, 'admin.token');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

export function loadHookSecret(dataDir: string): { secret: string; file: string } {
  const file = path.join(dataDir, 'hook.secret');
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return { secret: fs.readFileSync(file, 'utf8').trim(), file };
}
