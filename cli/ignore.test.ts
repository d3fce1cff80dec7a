import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIgnored, parseIgnore } from './ignore.ts';

test('.slugignore patterns: globs, anchors, directories, negation, comments', () => {
  const rules = parseIgnore('# docs\n*.log\n/tmp\nspec/\ndocs/**/*.pdf\n!keep.log\n\n');
  const out = (p: string, dir = false) => isIgnored(rules, p, dir);
  assert.ok(out('a.log'));
  assert.ok(out('deep/er/b.log'));
  assert.ok(!out('keep.log'));
  assert.ok(out('tmp', true));
  assert.ok(out('tmp/x.js'));
  assert.ok(!out('src/tmp/x.js'), '/tmp is anchored');
  assert.ok(out('spec', true));
  assert.ok(!out('spec'), 'spec/ matches directories only');
  assert.ok(out('docs/a/b/c.pdf'));
  assert.ok(out('docs/c.pdf'));
  assert.ok(!out('docs/c.md'));
  assert.ok(out('.git', true) && out('.git/config'), '.git always');
  assert.ok(!out('server.js'));
});
