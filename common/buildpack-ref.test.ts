import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { BuildpackRefError, parseBuildpackRef, parseBuildpacksFile, SHIPPED_BUILDPACKS } from './buildpack-ref.ts';

test('shipped names, with or without a heroku/ namespace', () => {
  assert.deepEqual(parseBuildpackRef('nodejs'), { kind: 'shipped', ref: 'nodejs', name: 'nodejs' });
  assert.deepEqual(parseBuildpackRef(' heroku/python '), { kind: 'shipped', ref: 'heroku/python', name: 'python' });
  assert.equal(parseBuildpackRef('heroku-community/static').kind, 'shipped');
  assert.throws(() => parseBuildpackRef('heroku/ruby'), /"heroku\/ruby" is not available: use one of nodejs, python, procfile, static/);
});

test('git URLs with an optional #ref, and absolute paths', () => {
  assert.deepEqual(parseBuildpackRef('https://github.com/heroku/heroku-buildpack-nodejs#v300'),
    { kind: 'git', ref: 'https://github.com/heroku/heroku-buildpack-nodejs#v300', url: 'https://github.com/heroku/heroku-buildpack-nodejs', gitRef: 'v300' });
  assert.equal(parseBuildpackRef('file:///srv/bp').kind, 'git');
  assert.deepEqual(parseBuildpackRef('/srv/bp/'), { kind: 'path', ref: '/srv/bp/', path: '/srv/bp' });
  for (const bad of ['ssh://x/y', 'ext::sh -c x', 'https://x/y#-u', 'https://x/y#a..b', '/a/../b', '', 'a\nb']) {
    assert.throws(() => parseBuildpackRef(bad), BuildpackRefError, bad);
  }
});

test('.buildpacks: one a line, comments and blanks skipped', () => {
  assert.deepEqual(parseBuildpacksFile('# mine\nheroku/nodejs\n\n  https://x.test/bp.git  \r\n'), ['heroku/nodejs', 'https://x.test/bp.git']);
});

test('SHIPPED_BUILDPACKS is what buildpacks/ holds', () => {
  const dir = new URL('../buildpacks/', import.meta.url);
  const shipped = fs.readdirSync(dir).filter((n) => fs.existsSync(new URL(`${n}/bin/compile`, dir))).sort();
  assert.deepEqual(shipped, [...SHIPPED_BUILDPACKS].sort());
});
