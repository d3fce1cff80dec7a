// Heroku's log sessions: POST /apps/:app/log-sessions {lines, tail, dyno, source} answers
// {id, logplex_url}; the Heroku CLI then reads logplex_url (no token: the URL is signed, see
// services/log-sessions.ts) as server-sent events, one `data:` per log line. Without tail the
// stream ends after the history; with tail it stays open until the client goes away.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { ForbiddenError } from '../../common/errors.ts';
import type { LogSessions } from '../services/log-sessions.ts';
import { memberOfApp } from '../services/access.ts';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { openFollowing, sseEvent, type AppLogReader } from './logs.ts';
import type { LogSessionBody } from './schemas/log-sessions.ts';

const STREAM_PATH = '/log-sessions';

export function logSessionsRouter(deps: ApiDeps, sessions: LogSessions): Router {
  const r = Router();
  r.post('/apps/:app/log-sessions', (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof LogSessionBody>;
    const { token, session } = sessions.issue({
      appId: app.id, userId: currentUser(res).id, lines: body.lines ?? 100, tail: body.tail === true,
      dyno: body.dyno || body.type || undefined,
      // Heroku's platform lines are source heroku (heroku[router]); here they are paas[router].
      source: (body.source === 'heroku' ? 'paas' : body.source) || undefined,
    });
    const at = new Date().toISOString();
    res.status(201).json({ id: session.id, logplex_url: `${deps.config.apiUrl}${STREAM_PATH}/${token}`, created_at: at, updated_at: at });
  });
  return r;
}

/** The stream behind logplex_url; mounted before authentication (the URL is the credential). */
export function logSessionStreamRouter(deps: ApiDeps, sessions: LogSessions, read: AppLogReader): Router {
  const r = Router();
  r.get(`${STREAM_PATH}/:token`, async (req, res) => {
    const s = sessions.open(String(req.params.token));
    const app = memberOfApp(deps.db, s.userId, s.appId)?.app;
    if (!app) throw new ForbiddenError('This log session is not valid any more: start `heroku logs` again.');
    const { write, signal } = openFollowing(res, 'text/event-stream; charset=utf-8');
    await read(app, { lines: s.lines, follow: s.tail, dyno: s.dyno, source: s.source }, (line) => write(sseEvent(line)), signal);
    res.end();
  });
  return r;
}
