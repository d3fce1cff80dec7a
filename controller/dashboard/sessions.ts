// Dashboard sessions, kept server-side in Redis with an expiry. The browser holds only a random
// session id in an HttpOnly cookie; the API token the user logged in with stays here. Redis
// keys are a hash of the id, and the token is sealed (AES-256-GCM) with a key derived from the
// id, so a reader of Redis alone can neither use a session nor read its token.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { dashboardSessionKey } from '../../common/redis-keys.ts';

export interface DashboardSession {
  userId: string;
  /** The API token the dashboard calls the API with (never sent to the browser). */
  token: string;
  /** The session's CSRF token: every change must carry it in `X-CSRF-Token`. */
  csrf: string;
  /** Unix ms after which the session is gone (Redis expires it too). */
  expires: number;
}

export interface SessionStore {
  create(userId: string, token: string): Promise<{ id: string; session: DashboardSession }>;
  /** The live session of an id, or null (unknown, expired, altered). */
  get(id: string): Promise<DashboardSession | null>;
  destroy(id: string): Promise<void>;
}

interface Stored { userId: string; csrf: string; expires: number; iv: string; tag: string; sealed: string }

const keyName = (prefix: string, id: string): string => dashboardSessionKey(prefix, createHash('sha256').update(id).digest('hex'));
const sealKey = (id: string): Buffer => createHmac('sha256', id).update('paas dashboard session token').digest();
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function createSessionStore(opts: { redis: Redis; prefix: string; ttlSec: number; now?: () => number }): SessionStore {
  const now = opts.now ?? Date.now;
  return {
    async create(userId, token) {
      const id = randomBytes(32).toString('base64url');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey(id), iv);
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      const session: DashboardSession = { userId, token, csrf: randomBytes(32).toString('base64url'), expires: now() + opts.ttlSec * 1000 };
      const stored: Stored = {
        userId, csrf: session.csrf, expires: session.expires,
        iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), sealed: sealed.toString('base64'),
      };
      await opts.redis.set(keyName(opts.prefix, id), JSON.stringify(stored), 'PX', opts.ttlSec * 1000);
      return { id, session };
    },
    async get(id) {
      if (!ID_PATTERN.test(id)) return null;
      const text = await opts.redis.get(keyName(opts.prefix, id));
      if (!text) return null;
      try {
        const s = JSON.parse(text) as Stored;
        if (!(s.expires > now())) return null;
        const decipher = createDecipheriv('aes-256-gcm', sealKey(id), Buffer.from(s.iv, 'base64'));
        decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
        const token = Buffer.concat([decipher.update(Buffer.from(s.sealed, 'base64')), decipher.final()]).toString('utf8');
        return { userId: s.userId, token, csrf: s.csrf, expires: s.expires };
      } catch {
        return null;
      }
    },
    async destroy(id) {
      if (ID_PATTERN.test(id)) await opts.redis.del(keyName(opts.prefix, id));
    },
  };
}
