import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyedMutex } from './keyed-mutex.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('serialises tasks of one key, runs other keys concurrently, survives failures', async () => {
  const m = createKeyedMutex();
  const order: string[] = [];
  const a1 = m.run('a', async () => { await tick(30); order.push('a1'); });
  const a2 = m.run('a', async () => { order.push('a2'); throw new Error('boom'); });
  const a3 = m.run('a', async () => { order.push('a3'); return 3; });
  const b1 = m.run('b', async () => { order.push('b1'); });
  assert.equal(m.pending('a'), 3);
  await b1;
  assert.deepEqual(order, ['b1']);
  await a1;
  await assert.rejects(a2, /boom/);
  assert.equal(await a3, 3);
  assert.deepEqual(order, ['b1', 'a1', 'a2', 'a3']);
  await tick(1);
  assert.equal(m.pending('a'), 0);
});
