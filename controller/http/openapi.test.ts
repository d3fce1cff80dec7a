// Drift checks: every route the express app serves is documented (and nothing else), and
// docs/openapi.json is the generated document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openapiDocument } from './openapi.ts';
import { createApi } from './api.ts';
import type { ApiDeps } from './deps.ts';

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

function routesOf(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      return Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

test('every API route is in the OpenAPI document, and only those', () => {
  const api = createApi({ db: {}, config: { apiRateLimit: 1 } } as unknown as ApiDeps) as unknown as { router: { stack: Layer[] } };
  const served = routesOf(api.router.stack).filter((r) => !r.includes('/internal/')).sort();
  const documented = Object.entries(openapiDocument().paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort();
  assert.deepEqual(documented, served);
});

test('docs/openapi.json is up to date (node bin/gen-openapi.ts)', () => {
  const file = new URL('../../docs/openapi.json', import.meta.url);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), openapiDocument());
});
