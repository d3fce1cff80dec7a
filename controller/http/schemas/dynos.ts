// Dynos: list, one-off runs, restarts.
import { Type } from '@sinclair/typebox';
import { AppRef, Nullable, Timestamp, named, route } from './common.ts';

export const DynoState = Type.Union(['starting', 'up', 'crashed', 'restarting', 'stopping', 'down'].map((s) => Type.Literal(s)));

export const DynoSchema = named('Dyno', Type.Object({
  id: Type.String(),
  name: Type.String({ examples: ['web.1'] }),
  type: Type.String({ examples: ['web'] }),
  state: DynoState,
  command: Nullable(Type.String()),
  release: Type.Object({ version: Type.Integer() }),
  app: AppRef,
  size: Type.String({ examples: ['standard-1X'] }),
  /** The machine (cluster node) it runs on. */
  node: Nullable(Type.String({ examples: ['worker-1'] })),
  attached: Type.Optional(Type.Boolean({ description: 'one-off dynos: attached to a client, or detached (output in the log stream)' })),
  cpu_percent: Type.Optional(Nullable(Type.Number({ description: 'CPU over the last 10 s sample, % of one core (paas)' }))),
  memory_bytes: Type.Optional(Nullable(Type.Integer({ description: 'memory in use at the last sample (paas)' }))),
  memory_limit_bytes: Type.Optional(Nullable(Type.Integer({ description: 'memory limit (paas)' }))),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
}));

/** Heroku's dyno create body. */
export const DynoRunBody = Type.Object({
  command: Type.String({ minLength: 1, maxLength: 32 * 1024, pattern: '\\S', description: 'one command line, run with bash -c after .profile.d', examples: ['npm run migrate && npm run seed'] }),
  attach: Type.Optional(Type.Boolean({ description: 'true: created, not started; it starts when its client attaches at attach_url' })),
  force_no_tty: Type.Optional(Type.Boolean({ description: 'attached with pipes (stdin, stdout, stderr) instead of a TTY' })),
  env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Union([Type.String(), Type.Number()]), {
    description: 'added to the release config (numbers as text, as the Heroku CLI sends COLUMNS); COLUMNS and LINES give a TTY its first size, TERM its type', examples: [{ COLUMNS: '120', LINES: '40', TERM: 'xterm-256color' }],
  })),
  size: Type.Optional(Type.String({ description: 'eco, basic, standard-1X (default), standard-2X, performance-M, performance-L: the memory limit', examples: ['standard-2X'] })),
  time_to_live: Type.Optional(Type.Integer({ minimum: 1, description: 'seconds until the platform stops it; at most (and by default) PAAS_RUN_TIME_LIMIT' })),
  type: Type.Optional(Type.Literal('run', { description: "Heroku's process type of one-off dynos (the only one)" })),
}, { additionalProperties: false });

export const OneOffDyno = named('OneOffDyno', Type.Object({
  name: Type.String({ examples: ['run.1'] }),
  type: Type.Literal('run'),
  state: Type.Literal('starting'),
  command: Type.String(),
  size: Type.String({ examples: ['standard-1X'] }),
  attach_url: Nullable(Type.String({
    description: 'attached runs: ws(s)://…/apps/{app}/dynos/{dyno}/attach/{secret}. GET it with Upgrade: websocket, subprotocol paas-run.v1 and the same '
      + 'token (only its creator may attach, once, within 60 s). Binary frames: a channel byte (0 stdin, 1 stdout or the TTY, 2 stderr) and the bytes; '
      + 'text frames: JSON control messages ({type: resize, cols, rows}, {type: eof} from the client; {type: started}, {type: exit, code}, {type: error} '
      + 'from the dyno). A closed or silent socket hangs the run up (SIGHUP, then SIGKILL).',
  })),
  release: Type.Object({ version: Type.Integer() }),
  app: AppRef,
}));

const Restarted = Type.Object({ restarted: Type.Array(Type.String()) });
const A = '/apps/{app}';
export const dynosRoutes = [
  route({ method: 'get', path: `${A}/dynos`, summary: 'List dynos (web.1 …) with state and release', response: Type.Array(DynoSchema) }),
  route({
    method: 'post', path: `${A}/dynos`, body: DynoRunBody, status: 201, response: OneOffDyno,
    summary: "Run a one-off dyno (run.N) in the current release, with its config, limits and non-root user, never routed. Detached: started; output to the log stream as app[run.N]. attach=true: created, not started: its client attaches at attach_url",
  }),
  route({
    method: 'post', path: `${A}/dynos/{dyno}/actions/stop`, status: 202, response: Type.Object({ stopped: Type.Array(Type.String()) }),
    summary: 'Stop a dyno: a one-off (run.N) gets SIGTERM, SIGKILL after 10 s, and is removed; a formation dyno is replaced (rolling restart)',
  }),
  route({ method: 'delete', path: `${A}/dynos`, summary: 'Rolling restart of all dynos', response: Restarted }),
  route({ method: 'delete', path: `${A}/dynos/{dyno}`, summary: 'Restart one dyno (web.1) or one type (web)', response: Restarted }),
  route({ method: 'delete', path: `${A}/formations/{type}`, summary: "Rolling restart of one process type (Heroku's ps:restart --process-type)", response: Restarted }),
  route({
    method: 'post', path: `${A}/formations/{type}/actions/stop`, status: 202, response: Type.Object({ stopped: Type.Array(Type.String()) }),
    summary: "Stop the dynos of one process type (Heroku's ps:stop --process-type): as on Heroku, formation dynos come back, here by a rolling restart",
  }),
];
