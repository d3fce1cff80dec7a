// Dynos: list, one-off runs (attached: streamed output and exit code), rolling restarts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { endLine, EXIT_MARKER } from '../../common/stream-end.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { DynoRunBody } from './schemas/dynos.ts';

export function dynosRouter(deps: ApiDeps): Router {
  const r = Router();

  r.get('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json((await deps.dynos.list(app)).map((d) => ({
      id: d.id,
      name: d.name,
      type: d.type,
      state: d.state,
      command: d.command,
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
    const run = { command: body.command, env: body.env };
    const abort = new AbortController();
    if (body.attach !== true) {
      const { name, release } = await deps.dynos.run(app, { ...run, attach: false, signal: abort.signal }, () => undefined);
      res.status(201).json({ name, type: 'run', state: 'starting', command: body.command, attach_url: null, release: { version: release } });
      return;
    }
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    res.status(200).type('text/plain; charset=utf-8');
    res.flushHeaders();
    const { exitCode } = await deps.dynos.run(app, { ...run, attach: true, signal: abort.signal }, (chunk) => res.write(chunk));
    res.end(`\n${endLine(EXIT_MARKER, { exit_code: exitCode })}`);
  });

  // Heroku: DELETE /apps/:app/dynos restarts all dynos, DELETE /apps/:app/dynos/:dyno one (or a type).
  r.delete('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json({ restarted: await deps.dynos.restart(app) });
  });
  r.delete('/apps/:app/dynos/:dyno', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json({ restarted: await deps.dynos.restart(app, String(req.params.dyno)) });
  });

  return r;
}
