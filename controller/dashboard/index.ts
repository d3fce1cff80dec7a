// The web dashboard, served by paasd on the API port under /dashboard (docs/dashboard.md).
// It is a browser client of the API and nothing more: its pages call /dashboard/api/*, which
// is the API itself (the same express app, authorisation, validation and limits) with the
// session's token put into the Authorization header here; the token never reaches the page.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import express, { type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { NotFoundError, UnauthorizedError } from '../../common/errors.ts';
import { userOfRequest } from '../http/auth.ts';
import { errorHandler } from '../http/errors.ts';
import { RateLimitError, type RequestLimits } from '../http/rate-limit.ts';
import { tokenHolder } from '../services/tokens.ts';
import type { Db } from '../store/db.ts';
import type { User } from '../store/types.ts';
import { cookie, readCookie } from './cookies.ts';
import { loginPage, notBuiltPage, shellPage } from './pages.ts';
import { CsrfError, isSafeMethod, sameOrigin, securityHeaders, tokensEqual } from './security.ts';
import { createSessionStore, type DashboardSession } from './sessions.ts';

export const SESSION_COOKIE = 'paas_session';
export const LOGIN_COOKIE = 'paas_login';
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };
export const DEFAULT_ASSETS_DIR = new URL('../../dashboard/dist/', import.meta.url).pathname;

export interface DashboardDeps {
  db: Db;
  redis: Redis;
  config: Config;
  limits: RequestLimits;
  /** The API's request handler (createApi). */
  api: (req: IncomingMessage, res: Response, next: (err?: unknown) => void) => void;
  logError: (err: unknown) => void;
  /** Where the bundle is (bin/build-dashboard.ts writes it). */
  assetsDir?: string;
}

export const isDashboardRequest = (url: string | undefined): boolean => /^\/dashboard(?:[/?]|$)/.test(url ?? '');

interface Authenticated { id: string; session: DashboardSession; user: User }

export function createDashboard(deps: DashboardDeps): express.Express {
  const sessions = createSessionStore({ redis: deps.redis, prefix: deps.config.redisPrefix, ttlSec: deps.config.dashboardSessionTtl });
  const assetsDir = deps.assetsDir ?? DEFAULT_ASSETS_DIR;
  const secure = (req: IncomingMessage): boolean => (req.socket as TLSSocket).encrypted === true || deps.config.apiUrl.startsWith('https:');
  // The dashboard's own origins: the public API URL (behind a proxy that may rewrite Host) and
  // the host the request names.
  const origins = (req: IncomingMessage): string[] => [new URL(deps.config.apiUrl).origin, `${secure(req) ? 'https' : 'http'}://${req.headers.host ?? ''}`];

  /** The request's session and its user, or null; a session whose token was revoked (or whose
   *  user was disabled) is removed. */
  async function authenticated(req: IncomingMessage): Promise<Authenticated | null> {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return null;
    const session = await sessions.get(id);
    if (!session) return null;
    const holder = tokenHolder(deps.db, session.token);
    if (!holder || holder.user.id !== session.userId) {
      await sessions.destroy(id);
      return null;
    }
    return { id, session, user: holder.user };
  }

  function showLogin(req: Request, res: Response, status = 200, error?: string): void {
    const loginCsrf = readCookie(req.headers.cookie, LOGIN_COOKIE) ?? randomToken();
    res.setHeader('set-cookie', cookie(LOGIN_COOKIE, loginCsrf, { maxAgeSec: 3600, secure: secure(req) }));
    res.status(status).type('html').send(loginPage({ loginCsrf, error }));
  }

  const d = express();
  d.disable('x-powered-by');
  d.set('etag', false);
  d.use(securityHeaders);
  const r = express.Router();

  r.get('/assets/:file', async (req, res) => {
    const file = String(req.params.file);
    const type = ASSETS[file];
    if (!type) throw new NotFoundError('No such dashboard file.');
    // The script only for a logged-in browser: a visitor gets the login page, styled.
    if (file === 'app.js' && !(await authenticated(req))) throw new UnauthorizedError('Log in to the dashboard first.');
    const body = await fs.promises.readFile(`${assetsDir}/${file}`).catch(() => null);
    if (!body) throw new NotFoundError('The dashboard is not built: run node bin/build-dashboard.ts.');
    res.type(type).send(body);
  });

  r.post('/login', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as { token?: unknown; csrf?: unknown };
    const expected = readCookie(req.headers.cookie, LOGIN_COOKIE);
    if (!sameOrigin(req, origins(req)) || !expected || !tokensEqual(body.csrf, expected)) {
      showLogin(req, res, 403, 'The login form expired: try again.');
      return;
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    let user: User;
    try {
      // The API's own check, with its failed-login limit per client address.
      const holder = userOfRequest(deps.db, deps.limits, { headers: { authorization: `Bearer ${token}` }, socket: req.socket } as IncomingMessage);
      if (holder.scope.scope !== 'global') throw new UnauthorizedError('A deploy token cannot log in to the dashboard: use a full API token.');
      user = holder.user;
    } catch (err) {
      if (err instanceof RateLimitError) res.setHeader('retry-after', String(err.retryAfterSec));
      showLogin(req, res, err instanceof RateLimitError ? 429 : 401, err instanceof Error ? err.message : 'Invalid credentials provided.');
      return;
    }
    const { id } = await sessions.create(user.id, token);
    res.setHeader('set-cookie', [
      cookie(SESSION_COOKIE, id, { maxAgeSec: deps.config.dashboardSessionTtl, secure: secure(req) }),
      cookie(LOGIN_COOKIE, '', { maxAgeSec: 0, secure: secure(req) }),
    ]);
    res.redirect(303, '/dashboard/');
  });

  r.post('/logout', async (req, res) => {
    const auth = await authenticated(req);
    if (auth) {
      if (!tokensEqual(req.get('x-csrf-token'), auth.session.csrf)) throw new CsrfError();
      await sessions.destroy(auth.id);
    }
    res.setHeader('set-cookie', cookie(SESSION_COOKIE, '', { maxAgeSec: 0, secure: secure(req) }));
    res.json({ logged_out: true });
  });

  // The API, as the session's user. Changes need the CSRF token and a same-origin browser.
  r.use('/api', async (req, res, next) => {
    const auth = await authenticated(req);
    if (!auth) throw new UnauthorizedError('Your dashboard session ended: log in again.');
    if (!isSafeMethod(req.method) && (!sameOrigin(req, origins(req)) || !tokensEqual(req.get('x-csrf-token'), auth.session.csrf))) throw new CsrfError();
    if (/^\/internal(?:[/?]|$)/.test(req.url)) throw new NotFoundError(`No route for ${req.method} ${req.path}.`);
    delete req.headers.cookie;
    req.headers.authorization = `Bearer ${auth.session.token}`;
    deps.api(req, res, next);
  });

  // Every page: the shell when logged in, else the login page.
  r.get(/.*/, async (req, res) => {
    const auth = await authenticated(req);
    if (!auth) { showLogin(req, res); return; }
    if (!fs.existsSync(`${assetsDir}/app.js`)) { res.status(503).type('html').send(notBuiltPage()); return; }
    res.type('html').send(shellPage({ csrf: auth.session.csrf, email: auth.user.email, admin: auth.user.admin }));
  });

  d.use('/dashboard', r);
  d.use(errorHandler(deps.logError));
  return d;
}

const randomToken = (): string => randomBytes(32).toString('base64url');
