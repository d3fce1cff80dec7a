// The admin listener's token option (PAAS_METRICS_TOKEN) and the log drain counters it serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { drainStatsKey } from '../common/redis-keys.ts';
import { testConfig } from '../test/helpers/config.ts';
import { startAdminServer } from './admin.ts';
import { drainMetricsSource } from './drain-prometheus.ts';

const empty = async () => ({ apps: {}, connections: {}, tlsHandshakeErrors: 0 });

async function get(port: number, path: string, auth?: string): Promise<{ status: number; body: string; www: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: auth ? { authorization: auth } : {} });
  return { status: res.status, body: await res.text(), www: res.headers.get('www-authenticate') };
}

test('with a token, /metrics wants it as a Bearer token; /healthz stays open', async () => {
  const admin = await startAdminServer({ port: 0, token: 'tok-123', snapshot: empty, extra: async () => 'paas_x 1\n', log: () => undefined });
  try {
    const none = await get(admin.port, '/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.www, 'Bearer realm="metrics"');
    assert.equal((await get(admin.port, '/metrics', 'Bearer wrong')).status, 401);
    assert.equal((await get(admin.port, '/metrics', 'Basic dG9rLTEyMw==')).status, 401);
    const ok = await get(admin.port, '/metrics', 'Bearer tok-123');
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^paas_x 1$/m);
    assert.equal((await get(admin.port, '/healthz')).status, 200);
  } finally {
    await admin.close();
  }
});

test('without a token the listener is loopback only: another address is refused at start', async () => {
  await assert.rejects(startAdminServer({ port: 0, bind: '0.0.0.0', snapshot: empty, log: () => undefined }), /needs PAAS_METRICS_TOKEN/);
  const open = await startAdminServer({ port: 0, snapshot: empty, log: () => undefined });
  assert.equal((await get(open.port, '/metrics')).status, 200);
  await open.close();
});

test('log drain counters saved by the shipper are Prometheus series per app and drain', async () => {
  const config = testConfig();
  const redis = new Redis(config.redisUrl);
  try {
    await redis.hset(drainStatsKey(config.redisPrefix), 'd1', JSON.stringify({ id: 'd1', app: 'shop', url: 'x', sent: 10, dropped: 3, buffered: 2, failures: 1, lastError: null }));
    const text = await drainMetricsSource(redis, config.redisPrefix)();
    assert.match(text, /^paas_log_drain_dropped_total\{app="shop",drain="d1"\} 3$/m);
    assert.match(text, /^paas_log_drain_sent_total\{app="shop",drain="d1"\} 10$/m);
    assert.match(text, /^# TYPE paas_log_drain_buffered_lines gauge$/m);
  } finally {
    await redis.del(drainStatsKey(config.redisPrefix));
    redis.disconnect();
  }
});
