// Drift checks: every route the express app serves has a contract (schemas/index.ts) and
// nothing else is documented; docs/openapi.json is the generated document; its $refs resolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openapiDocument } from './openapi.ts';
import { createApi } from './api.ts';
import type { ApiDeps } from './deps.ts';
import { routeSpecs } from './schemas/index.ts';

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      return Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

test('every API route has a schema contract, and every contract a route', () => {
  const api = createApi({ db: {}, config: { apiRateLimit: 1, dataDir: '/nonexistent' }, hookSecret: 'x' } as unknown as ApiDeps) as unknown as { router: { stack: Layer[] } };
  const served = new Set(routesOf(api.router.stack).filter((r) => !r.includes('/internal/')));
  const specified = new Set(routeSpecs.map((s) => `${s.method} ${s.path}`));
  const missing = [...served].filter((r) => !specified.has(r)).sort();
  const stale = [...specified].filter((r) => !served.has(r)).sort();
  assert.deepEqual(missing, [], `routes without a schema (add a route() to controller/http/schemas/, see docs/api-schemas.md): ${missing.join(', ')}`);
  assert.deepEqual(stale, [], `contracts of routes that are not served: ${stale.join(', ')}`);
  assert.equal(specified.size, routeSpecs.length, 'a route is specified twice');
});

test('docs/openapi.json is up to date (node bin/gen-openapi.ts)', () => {
  const file = new URL('../../docs/openapi.json', import.meta.url);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), openapiDocument());
});

test('the document is complete: $refs resolve, JSON responses and bodies have schemas, operation ids are unique', () => {
  const doc = openapiDocument() as unknown as { components: { schemas: Record<string, unknown> }; paths: Record<string, Record<string, Record<string, unknown>>> };
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
  for (const ref of refs) assert.ok(doc.components.schemas[ref.split('/').at(-1)!], `${ref} resolves`);
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const id = op.operationId as string;
      assert.ok(!ids.has(id), `operationId ${id} is unique`);
      ids.add(id);
      const responses = op.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>;
      const success = Object.entries(responses).filter(([s]) => s.startsWith('2'));
      assert.ok(success.length > 0, `${method} ${path} documents its success`);
      for (const [, r] of success) for (const c of Object.values(r.content ?? {})) assert.ok(c.schema, `${method} ${path} has a response schema`);
    }
  }
});
