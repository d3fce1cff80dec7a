// Dynos: list, one-off runs (attached: streamed output and exit code), rolling restarts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { endLine, EXIT_MARKER } from '../../common/stream-end.ts';
import { currentRelease } from '../store/releases.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { DynoRunBody } from './schemas/dynos.ts';
import { currentBuild } from './formation.ts';

export function dynosRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    const build = currentBuild(db, app);
    const dynos = await deps.scheduler.list(app.name);
    res.json(dynos
      .sort((a, b) => a.type.localeCompare(b.type) || Number(a.name.split('.')[1]) - Number(b.name.split('.')[1]))
      .map((d) => ({
        id: d.id,
        name: d.name,
        type: d.type,
        state: d.state,
        command: build?.process_types[d.type] ?? null,
        release: { version: d.release },
        app: { id: app.id, name: app.name },
        size: 'standard',
        node: d.node,
        created_at: d.startedAt,
        updated_at: d.startedAt,
      })));
  });

  r.post('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof DynoRunBody>;
    const release = currentRelease(db, app.id);
    if (!release) throw new NotFoundError(`${app.name} has no release to run a command in: push code first.`);
    const spec = deps.specs.oneOff(app, release, body.command, body.env);
    const abort = new AbortController();
    if (body.attach !== true) {
      const { name } = await deps.scheduler.run(spec, { attach: false, signal: abort.signal }, () => undefined);
      res.status(201).json({ name, type: 'run', state: 'starting', command: body.command, attach_url: null, release: { version: release.version } });
      return;
    }
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    res.status(200).type('text/plain; charset=utf-8');
    res.flushHeaders();
    const { exitCode } = await deps.scheduler.run(spec, { attach: true, signal: abort.signal }, (chunk) => res.write(chunk));
    res.end(`\n${endLine(EXIT_MARKER, { exit_code: exitCode })}`);
  });

  // Heroku: DELETE /apps/:app/dynos restarts all dynos, DELETE /apps/:app/dynos/:dyno one (or a type).
  const restart = async (app: ReturnType<typeof appParam>, filter: string | undefined): Promise<string[]> => {
    const names = await deps.deployer.restart(app, filter);
    if (filter && names.length === 0) throw new NotFoundError(`No dyno ${filter} on ${app.name}.`);
    return names;
  };
  r.delete('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json({ restarted: await restart(app, undefined) });
  });
  r.delete('/apps/:app/dynos/:dyno', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json({ restarted: await restart(app, String(req.params.dyno)) });
  });

  return r;
}
