// The API reference as an OpenAPI 3.1 document, made from the route contracts
// (schemas/index.ts): served at GET /openapi.json and written to docs/openapi.json
// (`node bin/gen-openapi.ts`); tests check it against the real routes and responses.
import type { TSchema } from '@sinclair/typebox';
import { Problem, type RouteSpec } from './schemas/common.ts';
import { routeSpecs } from './schemas/index.ts';

type Json = Record<string, unknown>;

/** Plain JSON Schema for the document: named schemas ($id) become $refs to components/schemas. */
function emitter() {
  const components: Record<string, unknown> = {};
  const emit = (node: unknown, top = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => emit(n));
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    if (typeof obj.$id === 'string' && !top) {
      const name = obj.$id;
      if (!(name in components)) {
        components[name] = null; // placeholder against cycles
        components[name] = emit(obj, true);
      }
      return { $ref: `#/components/schemas/${name}` };
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(obj)) {
      if (k === '$id') continue;
      // TypeBox records are patternProperties "^(.*)$": plain additionalProperties say the same.
      if (k === 'patternProperties' && v && typeof v === 'object' && Object.keys(v).length === 1 && '^(.*)$' in v) {
        out.additionalProperties = emit((v as Json)['^(.*)$']);
        continue;
      }
      out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, emit(s)])) : emit(v);
    }
    return out;
  };
  return { components, schema: (s: TSchema) => emit(s) };
}

function operation(spec: RouteSpec, schema: (s: TSchema) => unknown): Json {
  const params: Json[] = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = spec.query as (TSchema & { properties?: Record<string, TSchema>; required?: string[] }) | undefined;
  for (const [name, s] of Object.entries(query?.properties ?? {})) {
    params.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema: schema(s) });
  }
  const responses: Json = {};
  const status = String(spec.status ?? 200);
  if (spec.stream) responses['200'] = { description: 'A text stream', content: { 'text/plain': { schema: { type: 'string' } } } };
  if (spec.raw && !spec.response) responses[status] = { description: 'Raw bytes', content: { [spec.raw]: { schema: { type: 'string', contentMediaType: spec.raw } } } };
  if (spec.response) {
    const example = (spec.response as Json).examples;
    responses[status] = {
      description: 'OK',
      ...(spec.path.endsWith('/webhooks') && spec.method === 'post' ? { headers: { 'Heroku-Webhook-Secret': { description: 'the secret that signs deliveries (shown once)', schema: { type: 'string' } } } } : {}),
      content: { 'application/json': { schema: schema(spec.response), ...(Array.isArray(example) ? { example: example[0] } : {}) } },
    };
  }
  responses.default = { $ref: '#/components/responses/Error' };
  const bodyExample = (spec.body as Json | undefined)?.examples;
  return {
    operationId: `${spec.method}${spec.path.replace(/\{(\w+)\}/g, 'By-$1').split(/[/.-]/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`,
    summary: spec.summary,
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(spec.body), ...(Array.isArray(bodyExample) ? { example: bodyExample[0] } : {}) } } } } : {}),
    ...(spec.raw && spec.method === 'put' ? { requestBody: { required: true, content: { [spec.raw]: { schema: { type: 'string', contentMediaType: spec.raw } } } } } : {}),
    ...(spec.public ? { security: [] } : {}),
    ...(spec.deploy ? { 'x-deploy-token': true } : {}),
    responses,
  };
}

export function openapiDocument(specs: RouteSpec[] = routeSpecs) {
  const { components, schema } = emitter();
  const error = schema(Problem);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) (paths[spec.path] ??= {})[spec.method] = operation(spec, schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'paas API', version: '1',
      description: 'Resource shapes and paths follow the Heroku Platform API v3 where a resource exists there. Operations marked x-deploy-token accept deploy tokens.',
    },
    security: [{ bearer: [] }, { basic: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token' },
        basic: { type: 'http', scheme: 'basic', description: 'API token as the password, username ignored (netrc, git)' },
      },
      responses: {
        Error: {
          description: 'Error: {id, message} (also an RFC 9457 problem document). Statuses: 400, 401, 403, 404, 409, 413, 422, 429, 500, 507 (a build refused on a nearly full disk). A 422 from schema validation lists every field error in `errors`.',
          content: { 'application/problem+json': { schema: error, example: (Problem as Json).examples && (Problem.examples as unknown[])[0] } },
        },
      },
      schemas: components,
    },
    paths,
  };
}
