// Source uploads (Heroku's POST /apps/{app}/sources): signed, expiring, single-use URLs served
// by the platform itself, so a CI job needs nothing but the API to deploy a tarball.
import { Type } from '@sinclair/typebox';
import { Uuid, named, route } from './common.ts';

export const SourceSchema = named('Source', Type.Object({
  source_blob: Type.Object({
    put_url: Type.String({ format: 'uri', description: 'PUT the tarball here (once, before it expires)' }),
    get_url: Type.String({ format: 'uri', description: 'give this to POST /apps/{app}/builds as source_blob.url (once)' }),
    expires_at: Type.String({ format: 'date-time' }),
    max_bytes: Type.Integer(),
  }),
}), {
  source_blob: {
    put_url: 'http://127.0.0.1:7000/sources/51234567-89ab-4def-8123-456789abcdef?op=put&expires=1767323045&signature=0f3c…',
    get_url: 'http://127.0.0.1:7000/sources/51234567-89ab-4def-8123-456789abcdef?op=get&expires=1767323045&signature=9ab1…',
    expires_at: '2026-01-02T04:04:05.000Z', max_bytes: 536870912,
  },
});

export const SignedQuery = Type.Object({
  op: Type.Union([Type.Literal('put'), Type.Literal('get')]),
  expires: Type.String({ pattern: '^\\d+$', description: 'Unix time' }),
  signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});

export const sourcesRoutes = [
  route({ method: 'post', path: '/apps/{app}/sources', summary: 'Make a signed, expiring, single-use upload URL (put_url) and the URL to build it from (get_url)', status: 201, response: SourceSchema, deploy: true }),
  route({
    method: 'put', path: '/sources/{id}', public: true, query: SignedQuery, raw: 'application/octet-stream',
    summary: 'Upload a source tarball to a put_url (signed: no token; once; 413 over the size limit, 403 when expired or used)',
    response: Type.Object({ id: Uuid, size: Type.Integer() }),
  }),
  route({ method: 'get', path: '/sources/{id}', public: true, query: SignedQuery, raw: 'application/octet-stream', summary: 'Download an uploaded source by its get_url (signed: no token; until it is built or expires)' }),
];
