// The API's answers as the dashboard reads them (a subset of docs/openapi.json).
export interface App { id: string; name: string; web_url: string; maintenance: boolean; owner: { email: string } | null; released_at: string | null }
export interface Dyno {
  name: string; type: string; state: string; node: string | null; release: { version: number };
  cpu_percent?: number | null; memory_bytes?: number | null; memory_limit_bytes?: number | null;
}
export interface Formation { type: string; quantity: number; size: string; command: string | null }
export interface Release { id: string; version: number; description: string; status: string; current: boolean; eligible_for_rollback: boolean; user: { email: string } | null; created_at: string }
export interface Build { id: string; status: string; source_blob: { version: string | null }; user: { email: string } | null; created_at: string }
export interface Domain { hostname: string; kind: string; status: string; cname: string | null }
export interface SniEndpoint { name: string; domains: string[]; ssl_cert: { issuer: string; expires_at: string; acm: boolean; self_signed: boolean } }
export interface MetricsPoint {
  time: string; requests: number; requests_per_second: number;
  status: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  dynos: Array<{ name: string; cpu_percent: number | null; memory_bytes: number | null; memory_limit_bytes: number | null }>;
}
export interface Metrics { resolution: number; points: MetricsPoint[] }
export interface PlatformStatus {
  services: Array<{ name: string; up: boolean; detail: string }>;
  build_queue: { waiting: number; active: number; delayed: number; failed: number } | null;
  checked_at: string;
}
