// Router metrics in the Prometheus text format: requests by app and status class, a latency
// histogram and response bytes per app, open client connections. Each process (worker)
// counts its own; snapshots are plain JSON so the cluster primary can add them up.
import { BUCKETS, bucketIndex } from '../common/latency-histogram.ts';
import type { AccessEntry } from './access.ts';

export { BUCKETS };
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export interface AppSeries {
  /** Requests by status class ("2xx"…). */
  requests: Record<string, number>;
  /** Cumulative counts per BUCKETS bound (not yet cumulative: per bucket; +Inf is `count`). */
  buckets: number[];
  sum: number;
  count: number;
  bytes: number;
}

export interface MetricsSnapshot {
  apps: Record<string, AppSeries>;
  /** Open client connections by listener ("http", "https"). */
  connections: Record<string, number>;
  tlsHandshakeErrors: number;
}

export interface Metrics {
  record(entry: AccessEntry): void;
  connectionOpened(listener: string): void;
  connectionClosed(listener: string): void;
  tlsHandshakeError(): void;
  snapshot(): MetricsSnapshot;
}

/** Requests no app matched are counted under this label. */
export const NO_APP = '-';

export function createMetrics(): Metrics {
  const apps = new Map<string, AppSeries>();
  const connections: Record<string, number> = {};
  let tlsErrors = 0;
  return {
    record(entry) {
      const name = entry.app ?? NO_APP;
      let s = apps.get(name);
      if (!s) {
        s = { requests: {}, buckets: BUCKETS.map(() => 0), sum: 0, count: 0, bytes: 0 };
        apps.set(name, s);
      }
      const cls = CLASSES[Math.floor(entry.status / 100) - 1] ?? `${Math.floor(entry.status / 100)}xx`;
      s.requests[cls] = (s.requests[cls] ?? 0) + 1;
      const seconds = entry.durationMs / 1000;
      const i = bucketIndex(seconds);
      if (i < BUCKETS.length) s.buckets[i] += 1;
      s.sum += seconds;
      s.count += 1;
      s.bytes += entry.bytes;
    },
    connectionOpened(listener) { connections[listener] = (connections[listener] ?? 0) + 1; },
    connectionClosed(listener) { connections[listener] = (connections[listener] ?? 0) - 1; },
    tlsHandshakeError() { tlsErrors += 1; },
    snapshot: () => ({
      apps: Object.fromEntries([...apps].map(([k, v]) => [k, { ...v, requests: { ...v.requests }, buckets: [...v.buckets] }])),
      connections: { ...connections },
      tlsHandshakeErrors: tlsErrors,
    }),
  };
}

/** Adds up the snapshots of several processes. */
export function mergeSnapshots(list: MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = { apps: {}, connections: {}, tlsHandshakeErrors: 0 };
  for (const snap of list) {
    out.tlsHandshakeErrors += snap.tlsHandshakeErrors;
    for (const [k, n] of Object.entries(snap.connections)) out.connections[k] = (out.connections[k] ?? 0) + n;
    for (const [app, s] of Object.entries(snap.apps)) {
      const t = out.apps[app] ??= { requests: {}, buckets: BUCKETS.map(() => 0), sum: 0, count: 0, bytes: 0 };
      for (const [c, n] of Object.entries(s.requests)) t.requests[c] = (t.requests[c] ?? 0) + n;
      s.buckets.forEach((n, i) => { t.buckets[i] += n; });
      t.sum += s.sum;
      t.count += s.count;
      t.bytes += s.bytes;
    }
  }
  return out;
}

export const promLabel = (v: string): string => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** One Prometheus metric per entry of `series` (HELP, TYPE, then a sample per row that has a
 *  value), appended to `lines`; `labels` gives a row's label set. */
export function pushSeries<T>(
  lines: string[], series: ReadonlyArray<{ name: string; type: string; help: string; value: (row: T) => number | null }>, rows: readonly T[], labels: (row: T) => string,
): void {
  for (const s of series) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    for (const row of rows) {
      const v = s.value(row);
      if (v !== null) lines.push(`${s.name}{${labels(row)}} ${v}`);
    }
  }
}

export function renderPrometheus(snap: MetricsSnapshot, extra: { workers?: number } = {}): string {
  const lines: string[] = [];
  const apps = Object.keys(snap.apps).sort();
  lines.push('# HELP paas_router_requests_total Requests answered, by app and status class.');
  lines.push('# TYPE paas_router_requests_total counter');
  for (const app of apps) {
    for (const cls of CLASSES) {
      const n = snap.apps[app].requests[cls];
      if (n) lines.push(`paas_router_requests_total{app="${promLabel(app)}",code="${cls}"} ${n}`);
    }
  }
  lines.push('# HELP paas_router_request_duration_seconds Time from request to response end, by app.');
  lines.push('# TYPE paas_router_request_duration_seconds histogram');
  for (const app of apps) {
    const s = snap.apps[app];
    let cumulative = 0;
    BUCKETS.forEach((bound, i) => {
      cumulative += s.buckets[i];
      lines.push(`paas_router_request_duration_seconds_bucket{app="${promLabel(app)}",le="${bound}"} ${cumulative}`);
    });
    lines.push(`paas_router_request_duration_seconds_bucket{app="${promLabel(app)}",le="+Inf"} ${s.count}`);
    lines.push(`paas_router_request_duration_seconds_sum{app="${promLabel(app)}"} ${Number(s.sum.toFixed(6))}`);
    lines.push(`paas_router_request_duration_seconds_count{app="${promLabel(app)}"} ${s.count}`);
  }
  lines.push('# HELP paas_router_response_bytes_total Response body bytes sent, by app.');
  lines.push('# TYPE paas_router_response_bytes_total counter');
  for (const app of apps) lines.push(`paas_router_response_bytes_total{app="${promLabel(app)}"} ${snap.apps[app].bytes}`);
  lines.push('# HELP paas_router_open_connections Open client connections, by listener.');
  lines.push('# TYPE paas_router_open_connections gauge');
  for (const [k, n] of Object.entries(snap.connections).sort()) lines.push(`paas_router_open_connections{listener="${promLabel(k)}"} ${n}`);
  lines.push('# HELP paas_router_tls_handshake_errors_total Failed TLS handshakes.');
  lines.push('# TYPE paas_router_tls_handshake_errors_total counter');
  lines.push(`paas_router_tls_handshake_errors_total ${snap.tlsHandshakeErrors}`);
  if (extra.workers !== undefined) {
    lines.push('# HELP paas_router_workers Router worker processes.');
    lines.push('# TYPE paas_router_workers gauge');
    lines.push(`paas_router_workers ${extra.workers}`);
  }
  return `${lines.join('\n')}\n`;
}
