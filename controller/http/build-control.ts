// What a user does to builds besides starting them: cancel one (Heroku's DELETE
// /apps/:app/builds/:build), see the queue, purge the build cache (DELETE /apps/:app/build-cache).
import { Router } from 'express';
import { purgeBuildCache } from '../../common/build-cache.ts';
import { ConflictError } from '../../common/errors.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { buildJson } from './serializers.ts';

export function buildControlRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  r.delete('/apps/:app/builds/:build', async (req, res) => {
    const app = appParam(deps, req, res);
    const build = deps.builds.get(app, String(req.params.build));
    if (build.status !== 'pending') throw new ConflictError(`Can only cancel pending builds. Build ${build.id} has status '${build.status}'.`);
    await deps.builds.cancel(build.id);
    res.json(buildJson(db, config, app, deps.builds.get(app, build.id)));
  });

  r.get('/apps/:app/build-queue', async (req, res) => {
    const app = appParam(deps, req, res);
    const queue = await deps.builds.queue();
    res.json({
      length: queue.filter((q) => q.state === 'queued').length,
      running: queue.filter((q) => q.state === 'building').length,
      builds: queue.filter((q) => q.app === app.name).map((q) => ({
        id: q.buildId, state: q.state, position: q.position, created_at: deps.builds.list(app).find((b) => b.id === q.buildId)?.created_at ?? null,
      })),
    });
  });

  r.delete('/apps/:app/build-cache', async (req, res) => {
    const app = appParam(deps, req, res);
    if ((await deps.builds.queue()).some((q) => q.app === app.name && q.state === 'building')) {
      throw new ConflictError(`A build of ${app.name} is running: wait for it or cancel it (paas builds:cancel), then purge the cache.`);
    }
    const purged = await purgeBuildCache(config.dataDir, app.name);
    res.json({ app: { id: app.id, name: app.name }, purged });
  });

  return r;
}
