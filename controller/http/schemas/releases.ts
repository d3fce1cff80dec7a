// Releases and rollback.
import { Type } from '@sinclair/typebox';
import { ConfigVarsSchema } from './config-vars.ts';
import { AppRef, Nullable, Timestamp, UserRef, Uuid, named, route } from './common.ts';

export const ReleaseStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const ReleaseSchema = named('Release', Type.Object({
  id: Uuid,
  version: Type.Integer({ minimum: 1 }),
  description: Type.String(),
  status: ReleaseStatus,
  current: Type.Boolean(),
  eligible_for_rollback: Type.Boolean({ description: 'succeeded with a build: `heroku rollback` picks the previous such release' }),
  output_stream_url: Nullable(Type.String({ description: 'release phase output of this release (Heroku); null: shown in the build output' })),
  failure_reason: Nullable(Type.String()),
  app: AppRef,
  slug: Nullable(Type.Object({ id: Uuid })),
  user: Nullable(UserRef),
  addon_plan_names: Type.Array(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '31234567-89ab-4def-8123-456789abcdef', version: 3, description: 'Deploy 1a2b3c4', status: 'succeeded', current: true, eligible_for_rollback: true, output_stream_url: null,
  failure_reason: null, app: { id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello' }, slug: { id: '41234567-89ab-4def-8123-456789abcdef' },
  user: { id: '11234567-89ab-4def-8123-456789abcdef', email: 'dev@example.com' }, addon_plan_names: [],
  created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:09.000Z',
});

export const RollbackBody = Type.Object({
  release: Type.Union([Type.String(), Type.Integer({ minimum: 1 })], { description: 'id or version of the release to roll back to', examples: ['2'] }),
}, { additionalProperties: false });

const A = '/apps/{app}';
export const releasesRoutes = [
  route({ method: 'get', path: `${A}/releases`, summary: 'List releases (v1, v2, …)', response: Type.Array(ReleaseSchema), deploy: true }),
  route({ method: 'post', path: `${A}/releases`, summary: 'Roll back: a new release from an old one', body: RollbackBody, status: 201, response: ReleaseSchema }),
  route({ method: 'get', path: `${A}/releases/{release}`, summary: 'Release info, by id or version', response: ReleaseSchema, deploy: true }),
  route({ method: 'get', path: `${A}/releases/{release}/config-vars`, summary: 'The config vars a release runs with (by id or version)', response: ConfigVarsSchema }),
];
