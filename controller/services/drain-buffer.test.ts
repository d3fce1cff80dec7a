import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, createDrainBuffer } from './drain-buffer.ts';

const item = (id: number, size = 10) => ({ id: `${id}-0`, frame: Buffer.alloc(size, 'x') });

test('a full buffer drops the oldest lines and counts them, by lines and by bytes', () => {
  const b = createDrainBuffer({ maxLines: 3, maxBytes: 1000, now: () => new Date('2026-11-26T14:00:00Z') });
  for (let i = 1; i <= 5; i++) b.push(item(i));
  assert.equal(b.lines, 3);
  assert.deepEqual(b.take(10, 1e6).map((x) => x.id), ['3-0', '4-0', '5-0']);
  assert.deepEqual(b.takeDropped(), { count: 2, since: new Date('2026-11-26T14:00:00Z') });
  assert.equal(b.takeDropped(), null, 'reported once');

  const bytes = createDrainBuffer({ maxLines: 100, maxBytes: 25 });
  for (let i = 1; i <= 4; i++) bytes.push(item(i));
  assert.equal(bytes.lines, 2);
  assert.equal(bytes.bytes, 20);
  assert.equal(bytes.droppedTotal, 2);
  bytes.push(item(9, 26));
  assert.equal(bytes.droppedTotal, 3, 'a line larger than the whole buffer is dropped');
});

test('take() returns batches bounded by lines and bytes, at least one line', () => {
  const b = createDrainBuffer({ maxLines: 100, maxBytes: 10_000 });
  for (let i = 1; i <= 10; i++) b.push(item(i, 100));
  assert.equal(b.take(3, 1e6).length, 3);
  assert.equal(b.take(100, 250).length, 2);
  assert.equal(b.take(100, 1).length, 1);
  assert.equal(b.lines, 4);
  for (let i = 0; i < 5000; i++) { b.push(item(i, 1)); b.take(1, 1e6); }
  assert.equal(b.lines, 4, 'the queue compacts without losing lines');
});

test('back-off doubles from the base up to the cap, with at most ±20 % jitter', () => {
  const opts = { baseMs: 100, maxMs: 5000 };
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => backoffMs(a, opts, () => 0.5)), [100, 200, 400, 800, 5000]);
  assert.equal(backoffMs(0, opts, () => 0), 80);
  assert.equal(backoffMs(1, opts, () => 0.999), 240);
  assert.equal(backoffMs(100, opts, () => 0.999), 5000);
});
