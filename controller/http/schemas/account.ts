// The account, users (admin only) and API tokens (Heroku's /oauth/authorizations).
import { Type } from '@sinclair/typebox';
import { AppRef, Nullable, Timestamp, Uuid, named, route } from './common.ts';

export const AccountSchema = named('Account', Type.Object({
  id: Uuid, email: Type.String(), admin: Type.Boolean(), created_at: Timestamp,
}), { id: '11234567-89ab-4def-8123-456789abcdef', email: 'dev@example.com', admin: false, created_at: '2026-01-02T03:00:00.000Z' });

export const Scope = Type.Union([Type.Literal('global'), Type.Literal('deploy')], {
  description: 'global: everything the user may do; deploy: only sources, builds and releases (read) of one app',
});

export const AuthorizationSchema = named('Authorization', Type.Object({
  id: Uuid,
  description: Type.String(),
  scope: Type.Array(Scope),
  app: Nullable(AppRef),
  created_at: Timestamp,
  expires_at: Nullable(Timestamp),
}), {
  id: '21234567-89ab-4def-8123-456789abcdef', description: 'CI deploys', scope: ['deploy'], app: { id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello' },
  created_at: '2026-01-02T03:00:00.000Z', expires_at: null,
});

export const UserSchema = named('User', Type.Composite([AccountSchema, Type.Object({ disabled: Type.Boolean(), disabled_at: Nullable(Timestamp) })]));

export const AuthorizationCreateBody = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 200 })),
  scope: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 1 })),
  app: Type.Optional(Type.String({ description: 'the app a deploy token is limited to (name or id); required with scope deploy' })),
  expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400, description: 'seconds until the token stops working (default: never)' })),
}, { additionalProperties: false });

export const UserCreateBody = Type.Object({
  email: Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', examples: ['dev@example.com'] }), admin: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const Created = Type.Composite([AuthorizationSchema, Type.Object({ access_token: Type.Object({ token: Type.String(), expires_in: Nullable(Type.Integer()) }) })]);

export const accountRoutes = [
  route({ method: 'get', path: '/account', summary: 'The authenticated account', response: AccountSchema }),
  route({
    method: 'post', path: '/users', summary: 'Create a user (admin only); returns a first API token', status: 201,
    body: UserCreateBody,
    response: Type.Composite([AccountSchema, Type.Object({ access_token: Type.Object({ id: Uuid, token: Type.String() }) })]),
  }),
  route({ method: 'get', path: '/oauth/authorizations', summary: "List the caller's API tokens (never their secrets)", response: Type.Array(AuthorizationSchema) }),
  route({
    method: 'post', path: '/oauth/authorizations', status: 201, body: AuthorizationCreateBody, response: Created,
    summary: 'Create an API token; {scope: ["deploy"], app} makes a deploy token (CI): it can only upload sources, create and read builds, and read releases of that app',
  }),
  route({ method: 'get', path: '/oauth/authorizations/{id}', summary: "One of the caller's API tokens (never its secret)", response: AuthorizationSchema }),
  route({ method: 'delete', path: '/oauth/authorizations/{id}', summary: 'Revoke an API token (admins: anyone\'s)', response: Type.Object({ id: Type.String() }) }),
  route({ method: 'get', path: '/users', summary: 'List users (admin only)', response: Type.Array(UserSchema) }),
  route({
    method: 'patch', path: '/users/{user}', summary: 'Disable or enable a user (admin only): a disabled user\'s tokens authenticate nothing, API or git',
    body: Type.Object({ disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: UserSchema,
  }),
  route({ method: 'delete', path: '/users/{user}', summary: 'Delete a user who owns no app, with their tokens and collaborations (admin only)', response: AccountSchema }),
  route({ method: 'get', path: '/users/{user}/authorizations', summary: "List a user's API tokens (admin only)", response: Type.Array(AuthorizationSchema) }),
  route({
    method: 'delete', path: '/users/{user}/authorizations', summary: "Revoke every API token of a user (admin only)",
    response: Type.Object({ user: Type.Object({ id: Uuid, email: Type.String() }), revoked: Type.Integer() }),
  }),
];
