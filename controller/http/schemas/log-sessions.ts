// Heroku's log sessions (what `heroku logs` asks for), and the event stream behind logplex_url.
import { Type } from '@sinclair/typebox';
import { Timestamp, Uuid, named, route } from './common.ts';

export const LogSessionBody = Type.Object({
  lines: Type.Optional(Type.Integer({ minimum: 0, maximum: 1500, description: 'history lines first (100 by default)' })),
  tail: Type.Optional(Type.Boolean({ description: 'then new lines until the client goes away' })),
  dyno: Type.Optional(Type.String({ description: 'a dyno (web.1) or a process type (web)', examples: ['web.1'] })),
  source: Type.Optional(Type.String({ description: 'app (dynos) or paas (router, platform events; heroku is taken for it)', examples: ['app'] })),
  type: Type.Optional(Type.String({ description: 'process type (Heroku sends it for Fir apps); use dyno' })),
}, { additionalProperties: false });

export const LogSessionSchema = named('LogSession', Type.Object({
  id: Uuid,
  logplex_url: Type.String({ format: 'uri', description: 'GET it (no token: it is signed, valid for 5 minutes to open) for text/event-stream, one `data:` line per log line' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}));

export const logSessionsRoutes = [
  route({ method: 'post', path: '/apps/{app}/log-sessions', summary: 'Start a log session: a signed logplex_url to read the log from', body: LogSessionBody, status: 201, response: LogSessionSchema }),
  route({ method: 'get', path: '/log-sessions/{token}', summary: 'The log as server-sent events (the logplex_url of a log session); ends after the history unless it was made with tail', stream: true, public: true }),
];
