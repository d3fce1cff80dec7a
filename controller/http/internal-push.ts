// POST /internal/push/:app — called by the git pre-receive hook with the pushed tree as a tar.
// Streams the build log back as text lines and ends with the outcome line (common/stream-end.ts).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { webUrl } from '../../common/config.ts';
import { errorMessage, PaasError, UnauthorizedError } from '../../common/errors.ts';
import { endLine, RESULT_MARKER, type PushOutcome } from '../../common/stream-end.ts';
import { PayloadTooLargeError } from '../services/sources.ts';
import { pushCreditedTo, pushedApp } from '../services/pushes.ts';
import { checkBuildDiskSpace, type ApiDeps } from './deps.ts';
import { tooManyFailedLogins, type RequestLimits } from './rate-limit.ts';

function secretMatches(req: Request, secret: string): boolean {
  const given = Buffer.from(String(req.headers['x-paas-hook-secret'] ?? ''));
  const want = Buffer.from(secret);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function internalPushRouter(deps: ApiDeps & { limits: RequestLimits }): Router {
  const r = Router();
  r.post('/internal/push/:app', async (req, res) => {
    // Only the pre-receive hook knows the secret: guesses are throttled like failed logins.
    const address = req.socket.remoteAddress ?? '';
    const wait = deps.limits.failedLogins.wait(address);
    if (wait > 0) { res.setHeader('Retry-After', String(wait)); throw tooManyFailedLogins(wait); }
    if (!secretMatches(req, deps.hookSecret)) {
      deps.limits.failedLogins.take(address);
      throw new UnauthorizedError('Bad hook secret.');
    }
    const app = pushedApp(deps.db, String(req.params.app));
    checkBuildDiskSpace(deps); // before the source is written
    const rev = typeof req.query.rev === 'string' && /^[0-9a-f]{40,64}$/.test(req.query.rev) ? req.query.rev : null;

    const dir = path.join(deps.config.dataDir, 'sources');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tar = path.join(dir, `${randomUUID()}.tar`);
    // The hook checked the tree's size; the tar it sends is held to the same limit. What is over
    // it is read and dropped (up to 16 MiB more) so that the client gets the 413.
    const max = deps.config.sourceMaxBytes;
    let seen = 0;
    const bounded = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > max + 16 * 1024 * 1024) cb(new PayloadTooLargeError(max));
        else cb(null, seen > max ? undefined : chunk);
      },
    });
    try {
      await pipeline(req, bounded, fs.createWriteStream(tar, { mode: 0o600 }));
      if (seen > max) throw new PayloadTooLargeError(max);
    } catch (err) {
      fs.rmSync(tar, { force: true });
      throw err;
    }

    res.status(200).type('text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.flushHeaders();
    const say = (line: string): void => { res.write(`${line}\n`); };
    let outcome: PushOutcome;
    try {
      const { release } = await deps.builds.run({
        app, user: pushCreditedTo(deps.db, app, rev ? deps.pushers?.take(app.name, rev) : null), sourceTar: tar, sourceVersion: rev, log: say,
      });
      say(`-----> Launching... done, v${release.version}`);
      say(`       ${webUrl(deps.config, app.name)} deployed to paas`);
      outcome = { ok: true, message: `v${release.version}` };
    } catch (err) {
      if (!(err instanceof PaasError)) deps.logError(err);
      outcome = { ok: false, message: errorMessage(err) };
    } finally {
      fs.rm(tar, { force: true }, () => undefined);
    }
    res.end(endLine(RESULT_MARKER, outcome));
  });
  return r;
}
