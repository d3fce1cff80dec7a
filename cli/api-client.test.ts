// cli/generated/api.ts is what bin/gen-client.ts makes from docs/openapi.json today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { generateClientTypes } from '../bin/gen-client.ts';

test('the generated client types are up to date (node bin/gen-openapi.ts)', async () => {
  const current = fs.readFileSync(new URL('./generated/api.ts', import.meta.url), 'utf8');
  assert.ok(current === await generateClientTypes(), 'cli/generated/api.ts is stale: run node bin/gen-openapi.ts (it writes docs/openapi.json and the client)');
});
