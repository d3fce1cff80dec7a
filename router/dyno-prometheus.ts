// Per-dyno gauges for the admin listener's /metrics, from paasd's latest samples in Redis
// (common/dyno-usage.ts). When Redis does not answer, the router's own metrics are served alone.
import type { Redis } from 'ioredis';
import { readDynoUsage, type DynoUsageSample } from '../common/dyno-usage.ts';
import { promLabel, pushSeries } from './metrics.ts';

const SERIES: Array<{ name: string; type: string; help: string; value: (s: DynoUsageSample) => number | null }> = [
  { name: 'paas_dyno_cpu_percent', type: 'gauge', help: 'CPU over the last 10 s sample, % of one core.', value: (s) => s.cpuPercent },
  { name: 'paas_dyno_memory_bytes', type: 'gauge', help: 'Memory in use (without inactive page cache).', value: (s) => s.memory },
  { name: 'paas_dyno_memory_limit_bytes', type: 'gauge', help: 'Memory limit.', value: (s) => s.memoryLimit },
  { name: 'paas_dyno_restarts_total', type: 'counter', help: 'Restarts seen since paasd started.', value: (s) => s.restarts },
];

export function renderDynoMetrics(samples: DynoUsageSample[]): string {
  const sorted = [...samples].sort((a, b) => `${a.app}/${a.dyno}`.localeCompare(`${b.app}/${b.dyno}`));
  const lines: string[] = [];
  const labels = (s: DynoUsageSample): string => `app="${promLabel(s.app)}",dyno="${promLabel(s.dyno)}"`;
  pushSeries(lines, SERIES, sorted, labels);
  lines.push('# HELP paas_dyno_state Dyno state (1 for the current one).', '# TYPE paas_dyno_state gauge');
  for (const s of sorted) lines.push(`paas_dyno_state{${labels(s)},state="${promLabel(s.state)}"} 1`);
  return `${lines.join('\n')}\n`;
}

/** The dyno section of /metrics; empty (and logged once per failure streak) when Redis fails. */
export function dynoMetricsSource(redis: Redis, prefix: string, log: (line: string) => void): () => Promise<string> {
  let failing = false;
  return async () => {
    try {
      const text = renderDynoMetrics(await readDynoUsage(redis, prefix));
      failing = false;
      return text;
    } catch (err) {
      if (!failing) log(`dyno metrics unavailable: ${(err as Error).message}`);
      failing = true;
      return '';
    }
  };
}
