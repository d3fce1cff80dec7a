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
  size: Type.String(),
  /** The machine (cluster node) it runs on. */
  node: Nullable(Type.String({ examples: ['worker-1'] })),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
}));

export const DynoRunBody = Type.Object({
  command: Type.String({ minLength: 1, pattern: '\\S', examples: ['node -e "console.log(1)"'] }),
  attach: Type.Optional(Type.Boolean()),
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
}, { additionalProperties: false });

const Restarted = Type.Object({ restarted: Type.Array(Type.String()) });
const A = '/apps/{app}';
export const dynosRoutes = [
  route({ method: 'get', path: `${A}/dynos`, summary: 'List dynos (web.1 …) with state and release', response: Type.Array(DynoSchema) }),
  route({
    method: 'post', path: `${A}/dynos`, body: DynoRunBody, status: 201, stream: true,
    summary: 'Run a one-off dyno; attach=true streams output (200, text), then a final exit-code line; detached: 201 with the dyno',
    response: Type.Object({ name: Type.String(), type: Type.Literal('run'), state: Type.String(), command: Type.String(), attach_url: Type.Null(), release: Type.Object({ version: Type.Integer() }) }),
  }),
  route({ method: 'delete', path: `${A}/dynos`, summary: 'Rolling restart of all dynos', response: Restarted }),
  route({ method: 'delete', path: `${A}/dynos/{dyno}`, summary: 'Restart one dyno (web.1) or one type (web)', response: Restarted }),
];
