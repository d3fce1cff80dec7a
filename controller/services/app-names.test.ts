import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameProblem } from '../../common/app-name.ts';
import { randomAppName } from './app-names.ts';

test('accepts DNS-label app names of 3 to 30 characters', () => {
  for (const ok of ['abc', 'hello', 'my-app-2', 'a'.repeat(30)]) assert.equal(appNameProblem(ok), null, ok);
});

test('rejects bad names with a reason', () => {
  for (const bad of ['ab', 'a'.repeat(31), 'Hello', '1app', 'app-', '-app', 'my_app', 'my.app', 'a--b', '', 'héllo']) {
    assert.match(appNameProblem(bad) ?? '', /invalid/, bad);
  }
  assert.match(appNameProblem(42) ?? '', /string/);
});

test('random names are valid', () => {
  for (let i = 0; i < 50; i++) assert.equal(appNameProblem(randomAppName()), null);
});
