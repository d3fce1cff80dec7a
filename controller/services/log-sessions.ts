// Log sessions, as Heroku's: POST /apps/:app/log-sessions answers a `logplex_url` that a client
// (the Heroku CLI) reads without its API token. The URL carries the session itself, signed: the
// app, the user it was made for, the filters and an expiry. Nothing is stored; opening it checks
// the signature and the expiry, and the HTTP layer checks the user still has the app.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../../common/errors.ts';

export interface LogSession {
  id: string;
  appId: string;
  userId: string;
  lines: number;
  tail: boolean;
  dyno?: string;
  source?: string;
  /** Unix ms after which the URL no longer opens (a stream already open goes on). */
  expires: number;
}

export interface LogSessions {
  /** A token for the URL path. */
  issue(s: Omit<LogSession, 'id' | 'expires'>): { token: string; session: LogSession };
  /** The session of a token; 403 when forged or expired. */
  open(token: string): LogSession;
}

export function createLogSessions(opts: { secret: string; ttlSec: number; now?: () => number }): LogSessions {
  const now = opts.now ?? Date.now;
  const key = createHmac('sha256', opts.secret).update('paas log sessions').digest();
  const sign = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
  const denied = () => new ForbiddenError('This log session is not valid (expired or altered): start `heroku logs` again.');
  return {
    issue(s) {
      const session: LogSession = { ...s, id: randomUUID(), expires: now() + opts.ttlSec * 1000 };
      const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
      return { token: `${payload}.${sign(payload).toString('base64url')}`, session };
    },
    open(token) {
      const [payload, mac, extra] = token.split('.');
      if (!payload || !mac || extra !== undefined) throw denied();
      const given = Buffer.from(mac, 'base64url');
      const want = sign(payload);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw denied();
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LogSession;
      if (!(session.expires > now())) throw denied();
      return session;
    },
  };
}
