import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcfile, ProcfileError } from './procfile.ts';

test('parses types and commands, skipping comments and blank lines', () => {
  const text = '# comment\nweb: node server.js --port $PORT\n\nworker:   node worker.js\r\nrelease: ./migrate\n';
  assert.deepEqual(parseProcfile(text), {
    web: 'node server.js --port $PORT',
    worker: 'node worker.js',
    release: './migrate',
  });
});

test('keeps colons inside the command', () => {
  assert.deepEqual(parseProcfile('web: env A=b:c node s.js'), { web: 'env A=b:c node s.js' });
});

test('rejects malformed lines, bad types, empty commands and duplicates', () => {
  assert.throws(() => parseProcfile('web node s.js'), ProcfileError);
  assert.throws(() => parseProcfile('we b: x'), /invalid process type/);
  assert.throws(() => parseProcfile('web:'), /has no command/);
  assert.throws(() => parseProcfile('web: a\nweb: b'), /defined twice/);
});
