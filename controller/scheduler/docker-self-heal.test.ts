import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs } from './docker-self-heal.ts';

test('restarts back off like Docker: 100 ms doubling, at most a minute', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(backoffMs), [100, 200, 400, 800, 1600, 3200]);
  assert.equal(backoffMs(9), 51_200);
  assert.equal(backoffMs(10), 60_000);
  assert.equal(backoffMs(40), 60_000);
});
