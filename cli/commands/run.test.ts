import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellQuote } from './run.ts';

test('quoted arguments survive a round trip through sh -c', () => {
  const args = ['node', '-e', `console.log("it's", process.argv.length)`, 'a b', '$HOME', ''];
  const line = args.map(shellQuote).join(' ');
  const out = execFileSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });
  assert.deepEqual(out.split('\n').slice(0, -1), args);
  assert.equal(shellQuote('web.1'), 'web.1');
});
