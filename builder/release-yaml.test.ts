import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRelease } from './release-yaml.ts';

test('reads default_process_types and config_vars', () => {
  const text = '---\naddons:\n  - heroku-postgresql\nconfig_vars:\n  NODE_ENV: production\n  QUOTED: "a: b"\ndefault_process_types:\n  web: npm start\n  worker: node worker.js --queue=x\n';
  assert.deepEqual(parseRelease(text), {
    configVars: { NODE_ENV: 'production', QUOTED: 'a: b' },
    processTypes: { web: 'npm start', worker: 'node worker.js --queue=x' },
  });
});

test('empty and inline-empty documents give nothing', () => {
  assert.deepEqual(parseRelease(''), { processTypes: {}, configVars: {} });
  assert.deepEqual(parseRelease('--- {}\n'), { processTypes: {}, configVars: {} });
  assert.deepEqual(parseRelease('---\ndefault_process_types: {}\n'), { processTypes: {}, configVars: {} });
});

test("single-quoted values unescape ''", () => {
  assert.deepEqual(parseRelease("default_process_types:\n  web: 'echo ''hi'''\n").processTypes, { web: "echo 'hi'" });
});
