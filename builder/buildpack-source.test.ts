import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lsRemoteCommit } from './buildpack-source.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

test('lsRemoteCommit: HEAD, a branch, a tag (peeled wins), or nothing', () => {
  const out = `${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${C}\trefs/tags/v1^{}\n`;
  assert.equal(lsRemoteCommit(out, null), A);
  assert.equal(lsRemoteCommit(out, 'main'), A);
  assert.equal(lsRemoteCommit(out, 'v1'), C);
  assert.equal(lsRemoteCommit(out, 'v2'), null);
  assert.equal(lsRemoteCommit('', null), null);
});
