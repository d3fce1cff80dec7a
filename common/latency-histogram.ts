// The router's fixed latency histogram: the same bounds for the Prometheus histogram
// (router/metrics.ts) and the stored per-minute records (router/minute-metrics.ts), from which
// the API reads percentiles.

/** Upper bounds of the latency histogram, in seconds; one more bucket above the last. */
export const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Index of the bucket a duration falls in (BUCKETS.length: above every bound). */
export function bucketIndex(seconds: number): number {
  let i = 0;
  while (i < BUCKETS.length && seconds > BUCKETS[i]) i++;
  return i;
}

/** Latency percentile (ms) from per-bucket counts: the upper bound of the bucket holding it
 *  (above the last bound: the last bound). Null without any count. */
export function percentileMs(counts: number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(total * p));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return BUCKETS[Math.min(i, BUCKETS.length - 1)] * 1000;
  }
  return null;
}
