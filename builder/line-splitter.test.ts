import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLineSplitter } from './line-splitter.ts';

test('joins chunks into lines, keeps the last state of \\r-redrawn lines', () => {
  const lines: string[] = [];
  const s = createLineSplitter((l) => lines.push(l));
  s.push('one\ntw');
  s.push(Buffer.from('o\r\n10%\r50%\r100%\nlast'));
  s.flush();
  assert.deepEqual(lines, ['one', 'two', '100%', 'last']);
});
