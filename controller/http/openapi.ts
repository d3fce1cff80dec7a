// The API reference as an OpenAPI 3.1 document: served at GET /openapi.json and written to
// docs/openapi.json (`node bin/gen-openapi.ts`); a test checks both against the real routes.

type Op = { summary: string; body?: string; status?: number; stream?: boolean };
const A = '/apps/{app}';

const OPS: Record<string, Record<string, Op>> = {
  '/healthz': { get: { summary: 'Liveness (no authentication)' } },
  '/openapi.json': { get: { summary: 'This document (no authentication)' } },
  '/account': { get: { summary: 'The authenticated account' } },
  '/users': { post: { summary: 'Create a user (admin only); returns a first API token', body: '{email, admin?}', status: 201 } },
  '/oauth/authorizations': {
    get: { summary: "List the caller's API tokens (never their secrets)" },
    post: { summary: 'Create an API token', body: '{description?}', status: 201 },
  },
  '/oauth/authorizations/{id}': { delete: { summary: 'Revoke an API token' } },
  '/apps': { get: { summary: 'List apps the caller owns or collaborates on' }, post: { summary: 'Create an app', body: '{name?}', status: 201 } },
  [A]: {
    get: { summary: 'App info' },
    patch: {
      summary: 'Update an app: maintenance on/off, or rename it (owner only; 409 while a build is pending): id, releases, config, domains and collaborators stay, its dynos restart under the new name, the old name is free',
      body: '{maintenance?, name?}',
    },
    delete: { summary: 'Destroy an app: dynos, routes, repository, images, releases' },
  },
  [`${A}/collaborators`]: { get: { summary: 'List collaborators' }, post: { summary: 'Add a collaborator (owner only)', body: '{user: email}', status: 201 } },
  [`${A}/collaborators/{user}`]: { delete: { summary: 'Remove a collaborator (owner only)' } },
  [`${A}/config-vars`]: { get: { summary: 'Config vars' }, patch: { summary: 'Set (string) or unset (null) config vars: a new release', body: '{KEY: value|null}' } },
  [`${A}/releases`]: { get: { summary: 'List releases (v1, v2, …)' }, post: { summary: 'Roll back: a new release from an old one', body: '{release: id|version}', status: 201 } },
  [`${A}/releases/{release}`]: { get: { summary: 'Release info, by id or version' } },
  [`${A}/builds`]: {
    get: { summary: 'List builds' },
    post: { summary: 'Build (and release) a tarball from a URL, without git; returns the pending build', body: '{source_blob: {url, version?}}', status: 201 },
  },
  [`${A}/builds/{build}`]: {
    get: { summary: 'Build info' },
    delete: { summary: 'Cancel a pending build: taken off the queue, or its build container killed' },
  },
  [`${A}/build-queue`]: { get: { summary: "The app's unfinished builds: building, or queued with their position in the platform's queue" } },
  [`${A}/build-cache`]: { delete: { summary: "Purge the app's build cache (CACHE_DIR: dependency caches, node_modules)" } },
  [`${A}/buildpack-installations`]: {
    get: { summary: "The app's buildpacks, in order (empty: detected)" },
    put: { summary: 'Replace the buildpack list: shipped names (heroku/NAME too), git URLs (#ref), local paths', body: '{updates: [{buildpack}]}' },
  },
  [`${A}/builds/{build}/output`]: { get: { summary: 'Build log (text); follows a running build until it ends', stream: true } },
  [`${A}/formation`]: { get: { summary: 'Process types and quantities' }, patch: { summary: 'Scale several process types', body: '{updates: [{type, quantity}]}' } },
  [`${A}/formation/{type}`]: { get: { summary: 'One process type' }, patch: { summary: 'Scale one process type', body: '{quantity}' } },
  [`${A}/dynos`]: {
    get: { summary: 'List dynos (web.1 …) with state and release' },
    post: { summary: 'Run a one-off dyno; attach=true streams output, then a final exit-code line', body: '{command, attach?, env?}', stream: true },
    delete: { summary: 'Rolling restart of all dynos' },
  },
  [`${A}/dynos/{dyno}`]: { delete: { summary: 'Restart one dyno (web.1) or one type (web)' } },
  [`${A}/domains`]: { get: { summary: 'Hostnames the app answers to' }, post: { summary: 'Add a custom hostname', body: '{hostname}', status: 201 } },
  [`${A}/checks`]: {
    get: { summary: 'Deploy checks: health_check_path (GET, any status below 500 passes), boot_timeout and drain_grace in seconds' },
    patch: { summary: 'Change deploy checks (null resets to the platform default); used from the next cutover', body: '{health_check_path?, boot_timeout?, drain_grace?}' },
  },
  [`${A}/domains/{hostname}`]: { delete: { summary: 'Remove a custom hostname' } },
  [`${A}/sni-endpoints`]: {
    get: { summary: 'Certificates of the app, with their domains and expiry (never the key)' },
    post: { summary: 'Upload a certificate chain and its private key', body: '{certificate_chain, private_key}', status: 201 },
  },
  [`${A}/sni-endpoints/{id}`]: { get: { summary: 'One certificate' }, delete: { summary: 'Remove a certificate' } },
  [`${A}/acm`]: {
    get: { summary: 'Automatic certificates (ACME): on/off and status per domain' },
    post: { summary: 'Turn automatic certificates on (issuance starts in the background)' },
    delete: { summary: 'Turn automatic certificates off' },
  },
  [`${A}/acm/refresh`]: { patch: { summary: 'Order missing or expiring automatic certificates now' } },
  [`${A}/https`]: { get: { summary: 'HTTPS settings: redirect_https, hsts' }, patch: { summary: 'Change HTTPS settings', body: '{redirect_https?, hsts?}' } },
  [`${A}/log-stream`]: { get: { summary: 'App log: dyno output, router and platform lines; ?lines=&tail=true&dyno=&source=', stream: true } },
};

const PUBLIC = new Set(['/healthz', '/openapi.json']);

export function openapiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(OPS)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      paths[path][method] = {
        summary: op.summary,
        ...(params.length ? { parameters: params } : {}),
        ...(op.body ? { requestBody: { description: op.body, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
        ...(PUBLIC.has(path) ? { security: [] } : {}),
        responses: {
          [String(op.status ?? 200)]: { description: 'OK', content: { [op.stream ? 'text/plain' : 'application/json']: {} } },
          default: { $ref: '#/components/responses/Error' },
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'paas API', version: '1', description: 'Resource shapes and paths follow the Heroku Platform API v3 where a resource exists there.' },
    security: [{ bearer: [] }, { basic: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token' },
        basic: { type: 'http', scheme: 'basic', description: 'API token as the password, username ignored (netrc, git)' },
      },
      responses: {
        Error: {
          description: 'Error: {id, message} (also an RFC 9457 problem document). Statuses: 400, 401, 403, 404, 409, 422, 500.',
          content: { 'application/problem+json': { schema: { type: 'object', required: ['id', 'message'], properties: { id: { type: 'string' }, message: { type: 'string' } } } } },
        },
      },
    },
    paths,
  };
}
