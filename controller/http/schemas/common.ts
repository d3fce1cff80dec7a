// The pieces every API schema is made of (TypeBox: JSON Schema objects with static TypeScript
// types), and the shape of one route's contract. docs/api-schemas.md tells how to add a route.
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v));
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (v) => URL.canParse(v));

/** A schema shown once under components/schemas (by this name) and referenced elsewhere. */
export const named = <T extends TSchema>(name: string, schema: T, example?: unknown): T =>
  Object.assign(schema, { $id: name }, example === undefined ? {} : { examples: [example] });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Uuid = Type.String({ format: 'uuid', examples: ['01234567-89ab-4def-8123-456789abcdef'] });
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-01-02T03:04:05.678Z'] });
export const AppName = Type.String({ pattern: '^[a-z][a-z0-9-]{1,28}[a-z0-9]$', examples: ['hello'] });
export const AppRef = Type.Object({ id: Uuid, name: AppName });
export const AppIdRef = Type.Object({ id: Uuid });
export const UserRef = Type.Object({ id: Uuid, email: Type.String({ examples: ['dev@example.com'] }) });
/** An object with no declared fields (POST/DELETE without a body send none or `{}`). */
export const Empty = Type.Object({}, { additionalProperties: false });

export const FieldError = Type.Object({
  field: Type.String({ description: 'dotted path of the field ("" for the body itself)', examples: ['source_blob.url'] }),
  message: Type.String({ examples: ['Expected string'] }),
});

/** Every error: Heroku's {id, message}, which is also an RFC 9457 problem document. */
export const Problem = named('Error', Type.Object({
  id: Type.String({ description: 'stable error code', examples: ['invalid_params'] }),
  message: Type.String(),
  status: Type.Integer(),
  title: Type.String(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(FieldError, { description: 'every field error of a 422 from schema validation' })),
}), {
  id: 'invalid_params', message: 'source_blob.url: Expected string', status: 422, title: 'invalid params',
  detail: 'source_blob.url: Expected string', errors: [{ field: 'source_blob.url', message: 'Expected string' }],
});

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One route's contract: the validation middleware, the response check and the OpenAPI document read it. */
export interface RouteSpec {
  method: Method;
  /** OpenAPI style: /apps/{app}/builds */
  path: string;
  summary: string;
  /** Request body; absent: the route takes none (any body is ignored). */
  body?: TSchema;
  /** Query parameters (strings as sent). */
  query?: TSchema;
  /** Success status (200 by default). */
  status?: number;
  /** JSON body of the success response; absent with `stream`/`raw` set. */
  response?: TSchema;
  /** Success is a text/plain stream (build output, logs, attached runs). */
  stream?: boolean;
  /** Success is raw bytes (source downloads). */
  raw?: string;
  /** Reachable without an API token. */
  public?: boolean;
  /** Deploy tokens (scope deploy) may call it. */
  deploy?: boolean;
}

export const route = (spec: RouteSpec): RouteSpec => spec;

export type { Static };
