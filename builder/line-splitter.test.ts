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

test('output without a newline is cut at the longest line, the rest of that line dropped', () => {
  const lines: string[] = [];
  const s = createLineSplitter((l) => lines.push(l), 100);
  // 64 MiB in 64 KiB chunks and no newline, as `yes | tr -d '\n'` in a build would print.
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let i = 0; i < 1024; i++) s.push(chunk);
  s.push('tail of the long line\nnext line\n');
  s.flush();
  assert.deepEqual(lines, [`${'x'.repeat(100)} [line truncated]`, 'next line']);
});
