// Log drain counters for the admin listener's /metrics, from paasd's shipper through Redis
// (controller/services/drain-shipper.ts saves them every second; they survive a paasd restart).
import type { Redis } from 'ioredis';
import { drainStatsKey } from '../common/redis-keys.ts';
import { promLabel, pushSeries } from './metrics.ts';

interface Saved { id: string; app: string; sent: number; dropped: number; buffered: number; failures: number }

const SERIES: Array<{ name: string; type: string; help: string; value: (s: Saved) => number }> = [
  { name: 'paas_log_drain_sent_total', type: 'counter', help: 'Log lines delivered to the drain.', value: (s) => s.sent },
  { name: 'paas_log_drain_dropped_total', type: 'counter', help: 'Log lines dropped because the drain\'s buffer was full (Heroku L10).', value: (s) => s.dropped },
  { name: 'paas_log_drain_failures_total', type: 'counter', help: 'Failed deliveries (each retried with back-off) since paasd started.', value: (s) => s.failures },
  { name: 'paas_log_drain_buffered_lines', type: 'gauge', help: 'Log lines waiting in the drain\'s buffer.', value: (s) => s.buffered },
];

export function renderDrainMetrics(all: Saved[]): string {
  const sorted = [...all].sort((a, b) => `${a.app}/${a.id}`.localeCompare(`${b.app}/${b.id}`));
  const lines: string[] = [];
  pushSeries(lines, SERIES, sorted, (s) => `app="${promLabel(s.app)}",drain="${promLabel(s.id)}"`);
  return `${lines.join('\n')}\n`;
}

/** The drain section of /metrics; empty when Redis fails (the router's own metrics still go out). */
export function drainMetricsSource(redis: Redis, prefix: string): () => Promise<string> {
  return async () => {
    try {
      const saved = Object.values(await redis.hgetall(drainStatsKey(prefix))).map((v) => JSON.parse(v) as Saved);
      return saved.length ? renderDrainMetrics(saved) : '';
    } catch {
      return '';
    }
  };
}
