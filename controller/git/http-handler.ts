// Smart-HTTP git endpoint: authenticates and authorises EVERY request (node-git-server only
// checks info/refs, not the POST that carries the pack), then hands it to node-git-server.
import type { ChildProcess } from 'node:child_process';
import type http from 'node:http';
import { Git } from 'node-git-server';
import { tokenFromAuthorization } from '../http/credentials.ts';
import { RateLimitError, tooManyFailedLogins, type RequestLimits } from '../http/rate-limit.ts';
import { isMember } from '../services/access.ts';
import { findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import { scopeOfToken } from '../store/token-scopes.ts';
import { userForToken } from '../store/users.ts';
import type { Pushers } from './pushers.ts';
import type { RepoStore } from './repos.ts';

const GIT_PATH = /^\/([a-z0-9-]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)(\?.*)?$/;

export function isGitRequest(url: string | undefined): boolean {
  return /^\/[^/]+\.git\//.test(url ?? '');
}

function deny(res: http.ServerResponse, status: number, message: string, retryAfterSec = 0): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  if (retryAfterSec > 0) res.setHeader('retry-after', String(retryAfterSec));
  if (status === 401) res.setHeader('www-authenticate', 'Basic realm="paas"');
  res.end(`${message}\n`);
}

/** Git requests share the API's limits: failed logins per address, requests per account. */
export function createGitHandler(deps: { db: Db; repos: RepoStore; limits: RequestLimits; pushers: Pushers }): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const git = new Git(deps.repos.dir, { autoCreate: false });
  // A push is credited to the user who made it (the hook asks for the build by app and commit).
  const users = new WeakMap<http.IncomingMessage, string>();
  // git-receive-pack stops reading when it refuses a push early (receive.maxInputSize): the
  // rest of the request then hits a closed pipe, which must fail that push, not crash paasd.
  const ignorePipeErrors = (action: unknown): void => {
    (action as { once(e: 'service', f: (ps: ChildProcess) => void): void }).once('service', (ps) => { ps.stdin?.on('error', () => undefined); });
  };
  git.on('push', (push) => {
    ignorePipeErrors(push);
    const userId = users.get((push as unknown as { req: http.IncomingMessage }).req);
    if (userId) deps.pushers.record(push.repo.replace(/\.git$/, ''), push.commit, userId);
    push.accept();
  });
  git.on('fetch', (fetch) => {
    ignorePipeErrors(fetch);
    fetch.accept();
  });
  return (req, res) => {
    const m = GIT_PATH.exec(req.url ?? '');
    if (!m) return deny(res, 404, 'Not a git endpoint.');
    const token = tokenFromAuthorization(req.headers.authorization);
    const address = req.socket.remoteAddress ?? '';
    const locked = token ? deps.limits.failedLogins.wait(address) : 0;
    if (locked > 0) return deny(res, 429, tooManyFailedLogins(locked).message, locked);
    const user = token ? userForToken(deps.db, token) : null;
    if (!user) {
      if (token) deps.limits.failedLogins.take(address);
      return deny(res, 401, 'Authentication required: use your API token as the password (paas login).');
    }
    const wait = deps.limits.accounts.take(user.id);
    if (wait > 0) return deny(res, 429, new RateLimitError(undefined, wait).message, wait);
    const app = findApp(deps.db, m[1]);
    if (!app || !isMember(deps.db, user, app)) return deny(res, 404, `No such app as ${m[1]}.`);
    // A deploy token deploys its own app only.
    const scope = scopeOfToken(deps.db, token as string);
    if (scope.appId && scope.appId !== app.id) return deny(res, 403, 'This deploy token is for another app.');
    users.set(req, user.id);
    git.handle(req, res);
  };
}
