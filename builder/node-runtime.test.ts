import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserBuildError } from '../common/errors.ts';
import { compareVersions, defaultNpmRange, pickLatest, readEngines } from './node-runtime.ts';

test('pickLatest sorts versions numerically and skips prereleases', () => {
  assert.equal(pickLatest('["24.10.0", "24.9.0", "24.2.0"]'), '24.10.0');
  assert.equal(pickLatest('"20.0.0"'), '20.0.0');
  assert.equal(pickLatest('["25.0.0-rc.1", "24.1.0"]'), '24.1.0');
  assert.equal(pickLatest(''), null);
});

test('compareVersions', () => {
  assert.ok(compareVersions('24.10.0', '24.9.9') > 0);
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
});

test('readEngines takes ranges and rejects junk', () => {
  assert.deepEqual(readEngines('{"engines": {"node": ">=20 <23", "npm": "10"}}'), { node: '>=20 <23', npm: '10' });
  assert.deepEqual(readEngines('{"name": "x"}'), {});
  assert.throws(() => readEngines('{"engines": {"node": "$(rm -rf /)"}}'), UserBuildError);
  assert.throws(() => readEngines('{"engines": {"node": 20}}'), UserBuildError);
  assert.throws(() => readEngines('{not json'), /package.json is not valid JSON/);
});

test('defaultNpmRange follows what each Node.js line supports', () => {
  assert.equal(defaultNpmRange('24.1.0'), '11');
  assert.equal(defaultNpmRange('20.17.0'), '11');
  assert.equal(defaultNpmRange('20.5.0'), '10');
  assert.equal(defaultNpmRange('18.20.0'), '10');
});
