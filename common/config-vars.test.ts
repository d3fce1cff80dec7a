import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfigPatch, configPatchProblem, describeConfigChange } from './config-vars.ts';

test('null unsets, strings set, others are kept', () => {
  assert.deepEqual(applyConfigPatch({ A: '1', B: '2', C: '3' }, { A: 'x', B: null, D: '4' }), { A: 'x', C: '3', D: '4' });
});

test('validates keys and values', () => {
  assert.equal(configPatchProblem({ DATABASE_URL: 'x', _X: null, a1: '' }), null);
  assert.match(configPatchProblem({ '1A': 'x' }) ?? '', /Invalid config var name/);
  assert.match(configPatchProblem({ 'A-B': 'x' }) ?? '', /Invalid config var name/);
  assert.match(configPatchProblem({ A: 1 }) ?? '', /string or null/);
  assert.match(configPatchProblem([]) ?? '', /JSON object/);
  assert.match(configPatchProblem({}) ?? '', /No config vars/);
});

test('describes the diff like Heroku', () => {
  assert.equal(describeConfigChange({}, { B: '1', A: '2' }), 'Set A, B config vars');
  assert.equal(describeConfigChange({ A: '1' }, {}), 'Remove A config var');
  assert.equal(describeConfigChange({ A: '1', B: '1' }, { A: '2' }), 'Set A config var; remove B config var');
  assert.equal(describeConfigChange({ A: '1' }, { A: '1' }), null);
});
