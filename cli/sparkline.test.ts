import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsTable } from './commands/metrics.ts';
import { sparkline } from './sparkline.ts';

test('sparkline scales from zero to the highest value; a missing value is a space', () => {
  assert.equal(sparkline([0, 1, 2, 4, 8, null, 8]), '▁▂▃▅█ █');
  assert.equal(sparkline([3, 3]), '██');
  assert.equal(sparkline([null, null]), '  ');
});

test('metrics table: one sparkline row per series and per dyno, totals at the end', () => {
  const point = (requests: number, cpu: number | null) => ({
    time: '2026-01-01T00:00:00.000Z', requests, requests_per_second: requests / 60,
    status: { '1xx': 0, '2xx': requests - 1, '3xx': 0, '4xx': 0, '5xx': 1 }, bytes: 2048,
    latency_ms: { p50: 5, p95: 25, p99: 50, mean: 7 },
    dynos: [{ name: 'web.1', state: 'up', cpu_percent: cpu, memory_bytes: 64 * 1024 * 1024, memory_limit_bytes: 512 * 1024 * 1024, restarts: 1 }],
  });
  const lines = metricsTable({ app: 'shop', resolution: 60, since: '2026-01-01T00:00:00.000Z', points: [point(60, 10), point(120, null)] });
  assert.match(lines[0], /^=== shop: 2 points of 1 min/);
  assert.match(lines.find((l) => l.startsWith('requests/s'))!, /now +2 +max +2$/);
  assert.match(lines.find((l) => l.startsWith('web.1 cpu %'))!, /█ +now +10 +max +10$/);
  assert.match(lines.find((l) => l.startsWith('web.1 mem MiB'))!, /now +64/);
  assert.equal(lines.at(-1), 'requests 180: 2xx 178, 3xx 0, 4xx 0, 5xx 2; restarts 2');
});
