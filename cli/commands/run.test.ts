import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildCommand, parseEnvFlag, parseRunArgs } from './run.ts';

const bash = (line: string): string => execFileSync('bash', ['-c', line], { encoding: 'utf8', env: { PATH: process.env.PATH, PORT: '5000' } });

test('one word is the whole command line; several are joined as Heroku joins them, and bash runs the line', () => {
  assert.equal(buildCommand(['echo a && echo b']), 'echo a && echo b');
  assert.equal(bash(buildCommand(['echo a && echo b'])), 'a\nb\n');
  assert.equal(bash(buildCommand(['echo $PORT | tr 0 x'])), '5xxx\n');
  assert.equal(buildCommand(['echo', 'hi']), 'echo hi');
  const words = ['node', '-e', `console.log("it's", 1 + 1)`];
  assert.equal(buildCommand(words), `node -e "console.log(\\"it's\\", 1 + 1)"`);
  assert.equal(bash(`printf '%s\\n' ${buildCommand(['printf-args', 'a b', 'say "hi"']).slice('printf-args '.length)}`), 'a b\nsay "hi"\n');
});

test('run options are read anywhere before --; unknown options and everything after -- belong to the command', () => {
  assert.deepEqual(parseRunArgs(['bash', '-a', 'myapp']), { positionals: ['bash'], flags: { app: 'myapp' } });
  assert.deepEqual(parseRunArgs(['ls', '-la', '--app=x', '--no-tty']), { positionals: ['ls', '-la'], flags: { app: 'x', 'no-tty': true } });
  assert.deepEqual(parseRunArgs(['-a', 'x', '--', 'node', '-e', '1', '-a', 'y']), { positionals: ['node', '-e', '1', '-a', 'y'], flags: { app: 'x' } });
  assert.deepEqual(parseRunArgs(['-s', 'standard-2X', '-e', 'A=1;B=2', '-x', 'env']), { positionals: ['env'], flags: { size: 'standard-2X', env: 'A=1;B=2', 'exit-code': true } });
  assert.throws(() => parseRunArgs(['bash', '-a']), /-a needs a value/);
});

test('--env takes KEY=VALUE pairs separated by semicolons', () => {
  assert.deepEqual(parseEnvFlag('A=1;B=two=2; C= spaced '), { A: '1', B: 'two=2', C: ' spaced ' });
  assert.deepEqual(parseEnvFlag(undefined), {});
  assert.throws(() => parseEnvFlag('A=1;oops'), /--env "oops" is invalid/);
  assert.throws(() => parseEnvFlag('1A=x'), /is invalid/);
});
