// Dynos: list, one-off runs (attached: created here, attached at attach_url, see dyno-attach.ts
// and rendezvous/listener.ts; or detached), stop, rolling restarts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError, PaasError } from '../../common/errors.ts';
import { ONE_OFF } from '../scheduler/types.ts';
import type { App } from '../store/types.ts';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { attachUrl } from './dyno-attach.ts';
import { rendezvousHost } from '../rendezvous/api-certificate.ts';
import type { DynoRunBody } from './schemas/dynos.ts';

export class RendezvousUnsupportedError extends PaasError {
  constructor() {
    super('rendezvous_unsupported', 422, 'Attached `heroku run` needs Heroku\'s rendezvous service, which this platform has turned off (PAAS_RENDEZVOUS_PORT=-1): use `heroku run:detached` (output in `heroku logs`) or `paas run`.');
  }
}

/** The Heroku CLI attaches through Heroku's rendezvous (TLS); `paas run` through the websocket. */
const wantsRendezvous = (userAgent: string | undefined): boolean => /^heroku-cli\//.test(userAgent ?? '');

export function dynosRouter(deps: ApiDeps): Router {
  const r = Router();

  r.get('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    const usage = deps.dynoMetrics?.latest(app.name);
    res.json((await deps.dynos.list(app)).map((d) => ({
      id: d.id,
      name: d.name,
      type: d.type,
      state: d.state,
      command: d.command,
      release: { version: d.release },
      app: { id: app.id, name: app.name },
      size: d.oneOff?.size ?? 'standard',
      node: d.node,
      attached: d.oneOff ? d.oneOff.attached : undefined,
      cpu_percent: usage?.get(d.name)?.cpuPercent ?? null,
      memory_bytes: usage?.get(d.name)?.memory ?? null,
      memory_limit_bytes: usage?.get(d.name)?.memoryLimit ?? null,
      created_at: d.startedAt,
      updated_at: d.startedAt,
    })));
  });

  // Heroku's body (schemas/dynos.ts, checked at the edge). Attached runs are created, not
  // started: the process starts once the client attaches at attach_url.
  r.post('/apps/:app/dynos', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof DynoRunBody>;
    const rendezvous = body.attach === true && wantsRendezvous(req.get('user-agent')) ? deps.rendezvous ?? null : undefined;
    // With the listener off, one clear line instead of a failed TLS connection.
    if (rendezvous === null) throw new RendezvousUnsupportedError();
    const run = await deps.runs.create(app, currentUser(res), {
      command: body.command, attach: body.attach === true, forceNoTty: body.force_no_tty === true, attachVia: rendezvous ? 'rendezvous' : 'websocket',
      size: body.size, env: Object.fromEntries(Object.entries(body.env ?? {}).map(([k, v]) => [k, String(v)])), timeToLive: body.time_to_live,
    });
    const secret = run.attachSecret;
    res.status(201).json({
      name: run.name, type: ONE_OFF, state: 'starting', command: run.command, size: run.size,
      attach_url: !secret ? null
        : rendezvous ? rendezvous.url(rendezvousHost(deps.config), secret)
        : attachUrl(deps.config.apiUrl, app.name, run.name, secret),
      release: { version: run.release }, app: { id: app.id, name: app.name },
    });
  });

  // Heroku: POST /apps/:app/dynos/:dyno/actions/stop. A one-off ends; a dyno of the formation is
  // replaced (a rolling restart of that dyno), as Heroku restarts stopped formation dynos.
  r.post('/apps/:app/dynos/:dyno/actions/stop', async (req, res) => {
    const app = appParam(deps, req, res);
    const name = String(req.params.dyno);
    if (name.startsWith(`${ONE_OFF}.`)) {
      if (!(await deps.runs.stop(app, name))) throw new NotFoundError(`No dyno ${name} on ${app.name}.`);
      res.status(202).json({ stopped: [name] });
      return;
    }
    res.status(202).json({ stopped: await deps.dynos.restart(app, name) });
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

  // Heroku's per-type forms (ps:restart --process-type, ps:stop --process-type): a formation's
  // stopped dynos come back, so both are a rolling restart of that type.
  r.delete('/apps/:app/formations/:type', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json({ restarted: await deps.dynos.restart(app, processType(deps, app, String(req.params.type))) });
  });
  r.post('/apps/:app/formations/:type/actions/stop', async (req, res) => {
    const app = appParam(deps, req, res);
    res.status(202).json({ stopped: await deps.dynos.restart(app, processType(deps, app, String(req.params.type))) });
  });

  return r;
}

function processType(deps: ApiDeps, app: App, type: string): string {
  const types = deps.formation.get(app).rows.map((f) => f.type);
  if (!types.includes(type)) throw new NotFoundError(`Couldn't find that process type (${type}). Types: ${types.join(', ') || 'none yet (push code first)'}.`);
  return type;
}
