// The bounded buffer of one log drain: lines wait here while the drain is slow or down. It holds
// at most `maxLines` lines and `maxBytes` bytes; when full, the oldest lines are dropped (a drain
// that comes back gets the recent ones) and counted, for the L10 line and Prometheus.
// Pushing never waits: the log pipeline and the apps never feel a drain.

export interface DrainItem {
  /** Redis stream id of the line (the drain's cursor moves past it once it is delivered). */
  id: string;
  frame: Buffer;
}

export interface DrainBuffer {
  push(item: DrainItem): void;
  /** Removes and returns the oldest lines, at most `maxLines` and about `maxBytes` (at least one). */
  take(maxLines: number, maxBytes: number): DrainItem[];
  readonly lines: number;
  readonly bytes: number;
  /** Lines dropped since the last takeDropped(), and when the first of them was dropped. */
  takeDropped(): { count: number; since: Date } | null;
  /** Lines dropped since the buffer was made. */
  readonly droppedTotal: number;
}

export function createDrainBuffer(opts: { maxLines: number; maxBytes: number; now?: () => Date }): DrainBuffer {
  const now = opts.now ?? (() => new Date());
  let items: DrainItem[] = [];
  let head = 0;
  let bytes = 0;
  let dropped = 0;
  let droppedSince: Date | null = null;
  let droppedTotal = 0;

  const size = () => items.length - head;
  const shift = (): DrainItem => {
    const item = items[head++];
    bytes -= item.frame.length;
    if (head > 1024 && head * 2 > items.length) { items = items.slice(head); head = 0; }
    return item;
  };

  return {
    push(item) {
      if (item.frame.length > opts.maxBytes) { dropped++; droppedTotal++; droppedSince ??= now(); return; }
      while (size() > 0 && (size() + 1 > opts.maxLines || bytes + item.frame.length > opts.maxBytes)) {
        shift();
        dropped++;
        droppedTotal++;
        droppedSince ??= now();
      }
      items.push(item);
      bytes += item.frame.length;
    },
    take(maxLines, maxBytes) {
      const out: DrainItem[] = [];
      let taken = 0;
      while (size() > 0 && out.length < maxLines && (out.length === 0 || taken + items[head].frame.length <= maxBytes)) {
        const item = shift();
        taken += item.frame.length;
        out.push(item);
      }
      return out;
    },
    get lines() { return size(); },
    get bytes() { return bytes; },
    takeDropped() {
      if (dropped === 0 || !droppedSince) return null;
      const r = { count: dropped, since: droppedSince };
      dropped = 0;
      droppedSince = null;
      return r;
    },
    get droppedTotal() { return droppedTotal; },
  };
}

/** Delay before retry number `attempt` (0 = the first retry): base × 2^attempt, at most `maxMs`,
 *  with up to ±20 % jitter (`random` in [0, 1)) so drains that failed together do not retry together. */
export function backoffMs(attempt: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const plain = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(opts.maxMs, plain * (0.8 + 0.4 * random())));
}
