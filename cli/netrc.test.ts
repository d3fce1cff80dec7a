import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetrc, updateNetrc } from './netrc.ts';

const existing = 'machine github.com\n  login me\n  password gh\nmachine 127.0.0.1 login old password oldtok\n';

test('parses machine entries in both layouts', () => {
  assert.deepEqual(parseNetrc(existing), [
    { machine: 'github.com', login: 'me', password: 'gh' },
    { machine: '127.0.0.1', login: 'old', password: 'oldtok' },
  ]);
});

test('replaces one machine and keeps the others', () => {
  const out = updateNetrc(existing, '127.0.0.1', { machine: '127.0.0.1', login: 'a@b', password: 'new' });
  assert.deepEqual(parseNetrc(out), [
    { machine: 'github.com', login: 'me', password: 'gh' },
    { machine: '127.0.0.1', login: 'a@b', password: 'new' },
  ]);
});

test('removes a machine on logout', () => {
  const out = updateNetrc(existing, '127.0.0.1', null);
  assert.deepEqual(parseNetrc(out), [{ machine: 'github.com', login: 'me', password: 'gh' }]);
  assert.equal(updateNetrc('', 'x', null), '');
});
