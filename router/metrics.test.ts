import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, mergeSnapshots, renderPrometheus } from './metrics.ts';

const entry = (app: string | null, status: number, durationMs: number) => ({ app, dyno: null, method: 'GET', path: '/', status, bytes: 10, durationMs, requestId: 'x' });

test('histogram buckets are cumulative, classes counted, workers added up', () => {
  const a = createMetrics();
  const b = createMetrics();
  a.record(entry('web', 200, 0.5));
  a.record(entry('web', 503, 40));
  b.record(entry('web', 201, 2000));
  b.record(entry(null, 404, 1));
  a.connectionOpened('http');
  const text = renderPrometheus(mergeSnapshots([a.snapshot(), b.snapshot()]), { workers: 2 });
  assert.match(text, /^paas_router_requests_total\{app="web",code="2xx"\} 2$/m);
  assert.match(text, /^paas_router_requests_total\{app="web",code="5xx"\} 1$/m);
  assert.match(text, /^paas_router_requests_total\{app="-",code="4xx"\} 1$/m);
  assert.match(text, /^paas_router_request_duration_seconds_bucket\{app="web",le="0.001"\} 1$/m);
  assert.match(text, /^paas_router_request_duration_seconds_bucket\{app="web",le="0.05"\} 2$/m);
  assert.match(text, /^paas_router_request_duration_seconds_bucket\{app="web",le="2.5"\} 3$/m);
  assert.match(text, /^paas_router_request_duration_seconds_bucket\{app="web",le="\+Inf"\} 3$/m);
  assert.match(text, /^paas_router_request_duration_seconds_sum\{app="web"\} 2.0405$/m);
  assert.match(text, /^paas_router_response_bytes_total\{app="web"\} 30$/m);
  assert.match(text, /^paas_router_open_connections\{listener="http"\} 1$/m);
  assert.match(text, /^paas_router_workers 2$/m);
});
