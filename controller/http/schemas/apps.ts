// Apps and collaborators.
import { Type } from '@sinclair/typebox';
import { AppName, AppRef, Nullable, Timestamp, UserRef, Uuid, named, route } from './common.ts';

export const AppSchema = named('App', Type.Object({
  id: Uuid,
  name: AppName,
  git_url: Type.String({ format: 'uri' }),
  web_url: Type.String({ format: 'uri' }),
  maintenance: Type.Boolean(),
  owner: Nullable(UserRef),
  stack: Type.Object({ name: Type.String() }),
  build_stack: Type.Object({ name: Type.String({ description: 'the stack the next build is for' }) }),
  region: Type.Object({ name: Type.String() }),
  released_at: Nullable(Timestamp),
  acm: Type.Boolean({ description: 'automatic certificates (certs:auto) on' }),
  create_status: Type.Literal('complete'),
  repo_size: Nullable(Type.Integer({ description: 'not measured: null' })),
  slug_size: Nullable(Type.Integer({ description: 'not measured: null' })),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello', git_url: 'http://127.0.0.1:7000/hello.git',
  web_url: 'http://hello.localhost:8080/', maintenance: false, owner: { id: '11234567-89ab-4def-8123-456789abcdef', email: 'dev@example.com' },
  stack: { name: 'paas/stack:1' }, build_stack: { name: 'paas/stack:1' }, region: { name: 'local' },
  released_at: '2026-01-02T03:04:05.678Z', acm: false, create_status: 'complete', repo_size: null, slug_size: null, created_at: '2026-01-02T03:00:00.000Z', updated_at: '2026-01-02T03:00:00.000Z',
});

export const AppCreateBody = Type.Object({ name: Type.Optional(Type.String({ examples: ['hello'] })) }, { additionalProperties: false });
export const AppUpdateBody = Type.Object({
  maintenance: Type.Optional(Type.Boolean()),
  name: Type.Optional(Type.String({ description: 'new name (owner only)' })),
}, { additionalProperties: false });

export const CollaboratorCreateBody = Type.Object({ user: Type.String({ description: "the collaborator's email", examples: ['dev@example.com'] }) }, { additionalProperties: false });

export const CollaboratorSchema = named('Collaborator', Type.Object({
  app: AppRef, user: UserRef, role: Type.Union([Type.Literal('owner'), Type.Literal('collaborator')]), created_at: Type.Optional(Timestamp),
}));
export const CollaboratorRemoved = Type.Object({ app: AppRef, user: UserRef });

const A = '/apps/{app}';
export const appsRoutes = [
  route({ method: 'get', path: '/apps', summary: 'List apps the caller owns or collaborates on', response: Type.Array(AppSchema) }),
  route({ method: 'get', path: '/users/{user}/apps', summary: "A user's apps, owned or collaborated on (`~`: the caller; another user: admins only)", response: Type.Array(AppSchema) }),
  route({ method: 'post', path: '/apps', summary: 'Create an app', body: AppCreateBody, status: 201, response: AppSchema }),
  route({ method: 'get', path: A, summary: 'App info', response: AppSchema }),
  route({
    method: 'patch', path: A, body: AppUpdateBody, response: AppSchema,
    summary: 'Update an app: maintenance on/off, or rename it (owner only; 409 while a build is pending): id, releases, config, domains and collaborators stay, its dynos restart under the new name, the old name is free',
  }),
  route({ method: 'delete', path: A, summary: 'Destroy an app: dynos, routes, repository, images, releases', response: AppSchema }),
  route({ method: 'get', path: `${A}/collaborators`, summary: 'List who has access: the owner (role owner) first, then the collaborators', response: Type.Array(CollaboratorSchema) }),
  route({
    method: 'post', path: `${A}/collaborators`, summary: 'Add a collaborator (owner only)', status: 201, response: CollaboratorSchema,
    body: CollaboratorCreateBody,
  }),
  route({ method: 'delete', path: `${A}/collaborators/{user}`, summary: 'Remove a collaborator (owner only; the owner itself cannot be removed, 422)', response: CollaboratorRemoved }),
];
