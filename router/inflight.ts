// Requests in flight per backend ("host:port"), counted from the moment a backend is picked
// for a request until its response is finished (or the request moves to another backend).
// What the controller waits on before it stops a dyno that left the route table.

export interface InFlight {
  /** One more request to this backend ("host:port", common/route-acks.ts backendKey). */
  acquire(key: string): void;
  release(key: string): void;
  count(key: string): number;
  /** Counts of the backends that are not in `live`. */
  outside(live: Set<string>): Record<string, number>;
  /** Called when a backend's count drops to zero. */
  onIdle(fn: (key: string) => void): void;
}

export function createInFlight(): InFlight {
  const counts = new Map<string, number>();
  const idle: Array<(key: string) => void> = [];
  return {
    acquire(key) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    release(key) {
      const n = (counts.get(key) ?? 0) - 1;
      if (n > 0) {
        counts.set(key, n);
        return;
      }
      counts.delete(key);
      for (const fn of idle) fn(key);
    },
    count: (key) => counts.get(key) ?? 0,
    outside(live) {
      const out: Record<string, number> = {};
      for (const [key, n] of counts) if (!live.has(key)) out[key] = n;
      return out;
    },
    onIdle(fn) { idle.push(fn); },
  };
}
