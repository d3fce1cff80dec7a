// Builds (Heroku's builds API), their output, queue, cache and buildpacks.
import { Type } from '@sinclair/typebox';
import { MAX_BUILDPACKS } from '../../../common/buildpack-ref.ts';
import { AppIdRef, AppRef, Nullable, Timestamp, UserRef, Uuid, named, route } from './common.ts';

export const BuildStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const BuildSchema = named('Build', Type.Object({
  id: Uuid,
  status: BuildStatus,
  app: AppIdRef,
  source_blob: Type.Object({ version: Nullable(Type.String()), url: Type.Null() }),
  buildpacks: Type.Array(Type.Object({ name: Type.String(), url: Type.String() })),
  slug: Nullable(Type.Object({ id: Uuid })),
  process_types: Type.Record(Type.String(), Nullable(Type.String())),
  failure_reason: Nullable(Type.String()),
  output_stream_url: Type.String({ format: 'uri' }),
  stack: Type.String(),
  user: Nullable(UserRef),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '41234567-89ab-4def-8123-456789abcdef', status: 'pending', app: { id: '01234567-89ab-4def-8123-456789abcdef' },
  source_blob: { version: '1a2b3c4d', url: null }, buildpacks: [], slug: null, process_types: {}, failure_reason: null,
  output_stream_url: 'http://127.0.0.1:7000/apps/hello/builds/41234567-89ab-4def-8123-456789abcdef/output', stack: 'paas/stack:1',
  user: { id: '11234567-89ab-4def-8123-456789abcdef', email: 'dev@example.com' }, created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:05.678Z',
});

export const BuildCreateBody = Type.Object({
  source_blob: Type.Object({
    url: Type.String({ description: 'tarball (gzipped or not) to build: an http(s) URL, or the get_url of POST /apps/{app}/sources', examples: ['https://example.com/app.tar.gz'] }),
    version: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'e.g. the commit SHA', examples: ['1a2b3c4d'] }))),
    checksum: Type.Optional(Nullable(Type.String())),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export const BuildQueueSchema = named('BuildQueue', Type.Object({
  length: Type.Integer({ minimum: 0 }),
  running: Type.Integer({ minimum: 0 }),
  builds: Type.Array(Type.Object({
    id: Uuid, state: Type.Union([Type.Literal('queued'), Type.Literal('building')]), position: Nullable(Type.Integer()), created_at: Nullable(Timestamp),
  })),
}));

export const BuildpacksBody = Type.Object({
  updates: Type.Array(Type.Object({ buildpack: Type.String({ examples: ['heroku/nodejs'] }) }, { additionalProperties: false }), { maxItems: MAX_BUILDPACKS }),
}, { additionalProperties: false });

export const BuildpackInstallation = named('BuildpackInstallation', Type.Object({
  ordinal: Type.Integer({ minimum: 0 }),
  buildpack: Type.Object({ url: Type.String(), name: Type.String() }),
  app: AppRef,
}));

const A = '/apps/{app}';
export const buildsRoutes = [
  route({ method: 'get', path: `${A}/builds`, summary: 'List builds', response: Type.Array(BuildSchema), deploy: true }),
  route({
    method: 'post', path: `${A}/builds`, body: BuildCreateBody, status: 201, response: BuildSchema, deploy: true,
    summary: 'Build (and release) a tarball from a URL or an uploaded source, without git; returns the pending build',
  }),
  route({ method: 'get', path: `${A}/builds/{build}`, summary: 'Build info', response: BuildSchema, deploy: true }),
  route({ method: 'delete', path: `${A}/builds/{build}`, summary: 'Cancel a pending build: taken off the queue, or its build container killed', response: BuildSchema, deploy: true }),
  route({ method: 'get', path: `${A}/builds/{build}/output`, summary: 'Build log (text); follows a running build until it ends', stream: true, deploy: true }),
  route({ method: 'get', path: `${A}/build-queue`, summary: "The app's unfinished builds: building, or queued with their position in the platform's queue", response: BuildQueueSchema }),
  route({
    method: 'delete', path: `${A}/build-cache`, summary: "Purge the app's build cache (CACHE_DIR: dependency caches, node_modules)",
    response: Type.Object({ app: AppRef, purged: Type.Boolean() }),
  }),
  route({ method: 'get', path: `${A}/buildpack-installations`, summary: "The app's buildpacks, in order (empty: detected)", response: Type.Array(BuildpackInstallation) }),
  route({
    method: 'put', path: `${A}/buildpack-installations`, response: Type.Array(BuildpackInstallation),
    summary: 'Replace the buildpack list: shipped names (heroku/NAME too), git URLs (#ref), local paths',
    body: BuildpacksBody,
  }),
];
