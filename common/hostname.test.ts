import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameProblem } from './hostname.ts';

test('accepts DNS names, refuses bad ones and the platform domain', () => {
  for (const ok of ['www.example.com', 'a.b', 'x-1.example.org']) assert.equal(hostnameProblem(ok, 'paas.test'), null, ok);
  for (const bad of ['example', 'WWW.example.com', '-a.example.com', 'a..b', 'a_b.example.com', 'exa mple.com', `${'a'.repeat(64)}.com`]) {
    assert.notEqual(hostnameProblem(bad, 'paas.test'), null, bad);
  }
  assert.match(hostnameProblem('app.paas.test', 'paas.test') ?? '', /reserved/);
  assert.match(hostnameProblem(5, 'paas.test') ?? '', /string/);
});
