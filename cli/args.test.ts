import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './args.ts';

test('parses positionals, long and short flags, booleans', () => {
  const p = parseArgs(['hello', '-a', 'myapp', '--json', '--confirm=myapp', '--api', 'http://x', 'extra']);
  assert.deepEqual(p.positionals, ['hello', 'extra']);
  assert.deepEqual(p.flags, { app: 'myapp', json: true, confirm: 'myapp', api: 'http://x' });
});

test('everything after -- is positional', () => {
  assert.deepEqual(parseArgs(['--', '-a', 'b']).positionals, ['-a', 'b']);
});
