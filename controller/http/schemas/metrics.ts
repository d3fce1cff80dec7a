// App metrics: per-period request counts and latency from the router, CPU and memory of each
// dyno from the engine (docs/observability.md).
import { Type } from '@sinclair/typebox';
import { named, Nullable, route, Timestamp } from './common.ts';

const DynoPoint = Type.Object({
  name: Type.String({ examples: ['web.1'] }),
  state: Type.String({ examples: ['up'] }),
  cpu_percent: Nullable(Type.Number({ description: 'mean CPU over the period, % of one core' })),
  memory_bytes: Nullable(Type.Integer({ description: 'highest memory use sampled in the period' })),
  memory_limit_bytes: Nullable(Type.Integer()),
  restarts: Type.Integer({ minimum: 0 }),
});

export const MetricsPoint = Type.Object({
  time: Timestamp,
  requests: Type.Integer({ minimum: 0 }),
  requests_per_second: Type.Number({ minimum: 0 }),
  status: Type.Object({ '1xx': Type.Integer(), '2xx': Type.Integer(), '3xx': Type.Integer(), '4xx': Type.Integer(), '5xx': Type.Integer() }),
  bytes: Type.Integer({ minimum: 0, description: 'response body bytes' }),
  latency_ms: Type.Object({
    p50: Nullable(Type.Number()), p95: Nullable(Type.Number()), p99: Nullable(Type.Number()),
    mean: Nullable(Type.Number()),
  }, { description: 'percentiles are the upper bound of their histogram bucket; null without requests' }),
  dynos: Type.Array(DynoPoint),
});

export const MetricsSchema = named('Metrics', Type.Object({
  app: Type.String(),
  resolution: Type.Integer({ description: 'seconds per point: 60 (kept 24 h) or 600 (kept 7 days)', examples: [60] }),
  since: Timestamp,
  points: Type.Array(MetricsPoint),
}));

export const MetricsQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'first period wanted (default: one hour ago)' })),
  resolution: Type.Optional(Type.Union([Type.Literal('60'), Type.Literal('600'), Type.Literal('1m'), Type.Literal('10m')], { description: 'seconds per point (default 60)' })),
});

export const metricsRoutes = [
  route({
    method: 'get', path: '/apps/{app}/metrics', query: MetricsQuery, response: MetricsSchema,
    summary: 'Requests, status classes, latency percentiles and bytes per minute (24 h) or 10 minutes (7 days), with each dyno\'s CPU, memory, state and restarts',
  }),
];
