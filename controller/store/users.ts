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

export interface IssuedToken { id: string; token: string; description: string; created_at: string; expires_at: string | null }

/** A new token; with `expiresInSec` it stops working that many seconds from now. */
export function issueToken(db: Db, userId: string, description: string, expiresInSec: number | null = null): IssuedToken {
  const token = `paas_${randomBytes(24).toString('base64url')}`;
  const at = now();
  const expires = expiresInSec === null ? null : new Date(Date.parse(at) + expiresInSec * 1000).toISOString();
  const issued = { id: randomUUID(), token, description, created_at: at, expires_at: expires };
  db.prepare('INSERT INTO tokens (id, user_id, hash, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(issued.id, userId, hashToken(token), description, issued.created_at, expires);
  return issued;
}

/** The user a token authenticates: none if the token is unknown, expired or its user disabled. */
export function userForToken(db: Db, token: string): User | null {
  const row = db.prepare(`SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id
    WHERE t.hash = ? AND u.disabled_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`)
    .get(hashToken(token), now()) as Row | undefined;
  return row ? toUser(row) : null;
}

export interface TokenInfo { id: string; description: string; created_at: string; expires_at: string | null }

export function listTokens(db: Db, userId: string): TokenInfo[] {
  return db.prepare('SELECT id, description, created_at, expires_at FROM tokens WHERE user_id = ? ORDER BY created_at').all(userId) as unknown as TokenInfo[];
}

/** Revokes a token of `userId`, or of anyone when `userId` is null (an admin). */
export function revokeToken(db: Db, userId: string | null, id: string): boolean {
  const result = userId === null
    ? db.prepare('DELETE FROM tokens WHERE id = ?').run(id)
    : db.prepare('DELETE FROM tokens WHERE id = ? AND user_id = ?').run(id, userId);
  return Number(result.changes) > 0;
}

export function revokeAllTokens(db: Db, userId: string): number {
  return Number(db.prepare('DELETE FROM tokens WHERE user_id = ?').run(userId).changes);
}

/** Expired tokens are deleted (they authenticate nothing already). */
export function removeExpiredTokens(db: Db): number {
  return Number(db.prepare('DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now()).changes);
}

export interface UserInfo extends User { disabled_at: string | null }

export function listUsers(db: Db): UserInfo[] {
  return (db.prepare('SELECT * FROM users ORDER BY created_at, email').all() as Row[]).map((r) => ({ ...toUser(r), disabled_at: r.disabled_at == null ? null : String(r.disabled_at) }));
}

/** Disabled users authenticate nothing (API, git) until enabled again; their tokens are kept. */
export function setUserDisabled(db: Db, userId: string, disabled: boolean): void {
  db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(disabled ? now() : null, userId);
}

/** Deletes a user with their tokens and collaborations; the caller checks they own no app. */
export function deleteUser(db: Db, userId: string): void {
  db.prepare('DELETE FROM users WHERE id = ?').run(userId);
}
