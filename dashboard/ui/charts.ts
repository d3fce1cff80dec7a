// An app's charts for the last hour (1-minute points) or day (10-minute points), from
// GET /apps/{app}/metrics: CPU and memory per dyno, requests, latency percentiles, 5xx.
// Reloaded every 10 s: the router and the dyno collector write their numbers that often.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from './api.ts';
import { Chart, color, type Series } from './chart.ts';
import type { Metrics, MetricsPoint } from './types.ts';

const RANGES = { hour: { ms: 3600_000, resolution: 60 }, day: { ms: 86400_000, resolution: 600 } } as const;
type Range = keyof typeof RANGES;

function perDyno(points: MetricsPoint[], pick: (d: MetricsPoint['dynos'][number]) => number | null): Series[] {
  const names = [...new Set(points.flatMap((p) => p.dynos.map((d) => d.name)))].sort();
  return names.map((name, i) => ({
    label: name, color: color(i), points: true,
    values: points.map((p) => { const d = p.dynos.find((x) => x.name === name); return d ? pick(d) : null; }),
  }));
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const maxOf = (xs: Array<number | null>): number => Math.max(0, ...xs.filter((x): x is number => x !== null));

export function ChartsSection({ app }: { app: string }) {
  const [range, setRange] = useState<Range>('hour');
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      if (document.hidden) { timer = setTimeout(load, 10_000); return; }
      const { ms, resolution } = RANGES[range];
      const since = new Date(Date.now() - ms).toISOString();
      api<Metrics>('GET', `/apps/${app}/metrics?since=${encodeURIComponent(since)}&resolution=${resolution}`)
        .then((m) => { if (live) { setMetrics(m); setError(null); } }, (e: Error) => { if (live) setError(e.message); })
        .finally(() => { if (live) timer = setTimeout(load, 10_000); });
    };
    load();
    return () => { live = false; clearTimeout(timer); };
  }, [app, range]);

  const view = useMemo(() => {
    if (!metrics) return null;
    const p = metrics.points;
    const times = p.map((x) => Date.parse(x.time) / 1000);
    const requests = p.map((x) => x.requests);
    const fives = p.map((x) => x.status['5xx']);
    return {
      times,
      cpu: perDyno(p, (d) => d.cpu_percent),
      memory: perDyno(p, (d) => (d.memory_bytes == null ? null : d.memory_bytes / 1048576)),
      requests: [{ label: `requests / ${metrics.resolution / 60} min`, color: color(0), values: requests }],
      latency: (['p50', 'p95', 'p99'] as const).map((k, i) => ({ label: k, color: color(i), points: true, values: p.map((x) => x.latency_ms[k]) })),
      fives: [{ label: '5xx', color: color(1), values: fives }],
      totals: { requests: sum(requests), fives: sum(fives) },
    };
  }, [metrics]);

  return html`<section data-testid="charts"><h3>Metrics
    <span class="tabs">${(Object.keys(RANGES) as Range[]).map((r) => html`<button type="button" class=${r === range ? 'small active' : 'small'}
      onClick=${() => setRange(r)} data-testid=${`range-${r}`}>last ${r}</button>`)}</span></h3>
    ${error ? html`<p class="error">${error}</p>` : ''}
    ${view ? html`<div class="charts">
      <${Chart} testId="chart-requests" title="Requests" unit="" times=${view.times} series=${view.requests} summary=${`${view.totals.requests} in the last ${range}`} />
      <${Chart} testId="chart-latency" title="Latency" unit="ms" times=${view.times} series=${view.latency} summary=${`p95 max ${maxOf(view.latency[1].values)} ms`} />
      <${Chart} testId="chart-5xx" title="5xx" unit="" times=${view.times} series=${view.fives} summary=${`${view.totals.fives} in the last ${range}`} />
      <${Chart} testId="chart-cpu" title="CPU" unit="%" times=${view.times} series=${view.cpu} summary=${`max ${maxOf(view.cpu.flatMap((s) => s.values)).toFixed(1)}% of a core`} />
      <${Chart} testId="chart-memory" title="Memory" unit="M" times=${view.times} series=${view.memory} summary=${`max ${maxOf(view.memory.flatMap((s) => s.values)).toFixed(0)} MiB`} />
    </div>` : html`<p class="muted">Loading…</p>`}
  </section>`;
}
