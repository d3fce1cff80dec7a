import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { Static } from '@sinclair/typebox';
import { followBuildLog } from '../../common/build-log.ts';
import { NotFoundError, PaasError } from '../../common/errors.ts';
import { urlPolicyOf } from '../../common/url-policy.ts';
import { fetchSourceBlob, normalizeSourceTar, NotATarballError } from '../services/source-blob.ts';
import type { SourceStore } from '../services/sources.ts';
import { BuildCreateBody } from './schemas/builds.ts';
import { currentUser } from './auth.ts';
import { appParam, checkBuildDiskSpace, type ApiDeps } from './deps.ts';
import { buildJson } from './serializers.ts';
import { boundedWriter } from './follow-writer.ts';

export function buildsRouter(deps: ApiDeps & { sources: SourceStore }): Router {
  const r = Router();
  const { db, config } = deps;

  r.get('/apps/:app/builds', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(deps.builds.list(app).map((b) => buildJson(db, config, app, b)));
  });

  r.get('/apps/:app/builds/:build', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(buildJson(db, config, app, deps.builds.get(app, String(req.params.build))));
  });

  // Heroku's builds API: deploy a tarball by URL, without git (CI).
  r.post('/apps/:app/builds', async (req, res) => {
    const app = appParam(deps, req, res);
    const blob = (req.body as Static<typeof BuildCreateBody>).source_blob;
    checkBuildDiskSpace(deps);
    const dir = path.join(config.dataDir, 'sources');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tar = path.join(dir, `${randomUUID()}.tar`);
    // An upload to this platform (POST /apps/:app/sources) is read from disk, once, then removed.
    const uploaded = deps.sources.claim(blob.url, app.id);
    try {
      if (uploaded) {
        try { await normalizeSourceTar(uploaded, tar); } finally { deps.sources.remove(path.basename(path.dirname(uploaded))); }
      } else {
        await fetchSourceBlob(blob.url, tar, { policy: urlPolicyOf(config) });
      }
    } catch (err) {
      if (!(err instanceof NotATarballError)) throw err;
      // The source came, but it is no tarball: a build that failed, its reason in its output.
      res.status(201).json(buildJson(db, config, app, deps.builds.recordFailed(app, currentUser(res), blob.version ?? null, err.message)));
      return;
    }
    const { build, done } = deps.builds.start({
      app, user: currentUser(res), sourceTar: tar, sourceVersion: blob.version ?? null, log: () => undefined,
    });
    done.catch((err: unknown) => { if (!(err instanceof PaasError)) deps.logError(err); });
    res.status(201).json(buildJson(db, config, app, build));
  });

  // The build log; while the build runs, it follows the log until the build and its release end.
  r.get('/apps/:app/builds/:build/output', async (req, res) => {
    const app = appParam(deps, req, res);
    const build = deps.builds.get(app, String(req.params.build));
    const running = (): boolean => deps.builds.active(build.id) || deps.builds.get(app, build.id).status === 'pending';
    const file = deps.builds.logPath(build.id);
    if (!running() && !fs.existsSync(file)) throw new NotFoundError('No output was recorded for this build.');
    res.type('text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    if (!running()) {
      // Done: the file kept with the build has all of it (the Redis stream expires).
      await pipeline(fs.createReadStream(file), res);
      return;
    }
    // Under way: the build's stream, from its start to the controller's `done` marker.
    res.flushHeaders();
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const write = boundedWriter(res, abort);
    await followBuildLog(deps.redis, config.redisPrefix, build.id, { until: 'done', finished: () => !running(), signal: abort.signal, tail: deps.tail },
      (line) => write(`${line}\n`));
    res.end();
  });

  return r;
}
