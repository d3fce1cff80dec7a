import { flag } from '../args.ts';
import type { ApiSchemas } from '../api-client.ts';
import { CliError } from '../client.ts';
import { sparkline } from '../sparkline.ts';
import type { Command } from './types.ts';

type Metrics = ApiSchemas['Metrics'];
type Point = Metrics['points'][number];

const MiB = 1024 * 1024;

/** A number for a table cell: up to 1 decimal, "-" when missing. */
const fmt = (v: number | null | undefined): string => (v == null ? '-' : String(Math.round(v * 10) / 10));

function row(label: string, values: Array<number | null>): string {
  const present = values.filter((v): v is number => v !== null);
  const last = [...values].reverse().find((v) => v !== null) ?? null;
  const max = present.length ? Math.max(...present) : null;
  return `${label.padEnd(16)} ${sparkline(values)}  now ${fmt(last).padStart(7)}  max ${fmt(max).padStart(7)}`;
}

export function metricsTable(m: Metrics): string[] {
  const p = m.points;
  const step = m.resolution === 60 ? '1 min' : '10 min';
  const sum = (f: (x: Point) => number): number => p.reduce((a, x) => a + f(x), 0);
  const lines = [
    `=== ${m.app}: ${p.length} points of ${step} since ${m.since}`,
    row('requests/s', p.map((x) => x.requests_per_second)),
    row('p50 ms', p.map((x) => x.latency_ms.p50)),
    row('p95 ms', p.map((x) => x.latency_ms.p95)),
    row('p99 ms', p.map((x) => x.latency_ms.p99)),
    row('5xx', p.map((x) => x.status['5xx'])),
    row('KiB out', p.map((x) => x.bytes / 1024)),
  ];
  const names = [...new Set(p.flatMap((x) => x.dynos.map((d) => d.name)))].sort();
  for (const name of names) {
    const of = p.map((x) => x.dynos.find((d) => d.name === name) ?? null);
    lines.push(row(`${name} cpu %`, of.map((d) => d?.cpu_percent ?? null)));
    lines.push(row(`${name} mem MiB`, of.map((d) => (d?.memory_bytes == null ? null : d.memory_bytes / MiB))));
  }
  lines.push(`requests ${sum((x) => x.requests)}: 2xx ${sum((x) => x.status['2xx'])}, 3xx ${sum((x) => x.status['3xx'])}, 4xx ${sum((x) => x.status['4xx'])}, 5xx ${sum((x) => x.status['5xx'])}`
    + `; restarts ${sum((x) => x.dynos.reduce((a, d) => a + d.restarts, 0))}`);
  return lines;
}

export const metricsCommands: Command[] = [
  {
    name: 'metrics',
    usage: 'paas metrics [-a APP] [--since 2026-01-02T03:04:05Z] [--resolution 1m|10m] [--json]',
    description: 'requests, latency, 5xx and each dyno\'s CPU and memory, as sparklines (default: the last hour by minute)',
    async run(ctx) {
      const q = new URLSearchParams();
      const since = flag(ctx.args, 'since');
      if (since) {
        if (Number.isNaN(Date.parse(since))) throw new CliError(`--since: not a date-time: ${since}`);
        q.set('since', new Date(since).toISOString());
      }
      const resolution = flag(ctx.args, 'resolution');
      if (resolution) q.set('resolution', resolution);
      const m = await ctx.client().request<Metrics>('GET', `/apps/${ctx.app()}/metrics${q.size ? `?${q}` : ''}`);
      if (ctx.wantsJson()) return ctx.json(m);
      for (const line of metricsTable(m)) ctx.out(line);
    },
  },
];
