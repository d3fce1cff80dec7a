import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';
import type { User } from './types.ts';

type Row = Record<string, unknown>;

const toUser = (r: Row): User => ({
  id: String(r.id), email: String(r.email), admin: r.admin === 1, created_at: String(r.created_at),
});

/** Tokens are stored hashed: a leaked database does not leak credentials. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function createUser(db: Db, email: string, admin: boolean): User {
  const user: User = { id: randomUUID(), email, admin, created_at: now() };
  db.prepare('INSERT INTO users (id, email, admin, created_at) VALUES (?, ?, ?, ?)')
    .run(user.id, user.email, admin ? 1 : 0, user.created_at);
  return user;
}

export function findUserByEmail(db: Db, email: string): User | null {
  const row = db.prepare('SELECT * FROM users WHERE email = ?').get(email) as Row | undefined;
  return row ? toUser(row) : null;
}

export function findUserById(db: Db, id: string): User | null {
  const row = db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
  return row ? toUser(row) : null;
}

export function countUsers(db: Db): number {
  const row = db.prepare('SELECT COUNT(*) AS n FROM users').get() as Row;
  return Number(row.n);
}

export interface IssuedToken { id: string; token: string; description: string; created_at: string }

export function issueToken(db: Db, userId: string, description: string): IssuedToken {
  const token = `paas_${randomBytes(24).toString('base64url')}`;
  const issued = { id: randomUUID(), token, description, created_at: now() };
  db.prepare('INSERT INTO tokens (id, user_id, hash, description, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(issued.id, userId, hashToken(token), description, issued.created_at);
  return issued;
}

export function userForToken(db: Db, token: string): User | null {
  const row = db.prepare('SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?')
    .get(hashToken(token)) as Row | undefined;
  return row ? toUser(row) : null;
}

export interface TokenInfo { id: string; description: string; created_at: string }

export function listTokens(db: Db, userId: string): TokenInfo[] {
  return db.prepare('SELECT id, description, created_at FROM tokens WHERE user_id = ? ORDER BY created_at').all(userId) as unknown as TokenInfo[];
}

export function revokeToken(db: Db, userId: string, id: string): boolean {
  return Number(db.prepare('DELETE FROM tokens WHERE id = ? AND user_id = ?').run(id, userId).changes) > 0;
}
