// Ships every app's log to its drains. Runs in paasd: one loop reads the app log streams
// (Redis, common/app-log.ts: dyno output, router, API, release and build lines) for every app
// that has drains, on a connection of its own, and hands each line to every drain of the app.
// A drain is a bounded buffer (drain-buffer.ts) and a sender that delivers batches and retries
// with exponential back-off; handing a line over never waits, so a slow, stalled or dead drain
// slows neither the reading loop nor other drains, the apps, the router or the API.
// Lines a full buffer drops are counted: an `Error L10 (output buffer overflow)` line goes to the
// app's log (at most once a minute per drain) and the counters to Prometheus (router admin port).
// Resuming: each drain's cursor (the stream id of the last line delivered) is saved to Redis
// every second; a restarted paasd reads on from there, so lines are neither lost (while Redis
// keeps them) nor sent twice, beyond what was in flight or buffered at the crash.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { appendAppLog, entriesFromFields, type LogEntry } from '../../common/app-log.ts';
import { appLogKey, drainCursorsKey, drainStatsKey } from '../../common/redis-keys.ts';
import { errorMessage } from '../../common/errors.ts';
import type { UrlPolicy } from '../../common/url-policy.ts';
import { octetCounted, syslogMessage } from '../../common/syslog-frame.ts';
import { backoffMs, createDrainBuffer } from './drain-buffer.ts';
import { createTransport, failureReason, type DrainTransport } from './drain-transports.ts';
import { checkDrainUrl, redactDrainUrl } from './drain-url.ts';

/** Entries read from the streams per round trip, and about the most lines handed over from
 *  them (an entry may be a batch of router lines; the rest is read again next time): well
 *  below a drain's buffer, so that a healthy drain's sender gets its turn between two reads. */
const READ_COUNT = 256;
const READ_LINES = 256;

export interface DrainTarget { id: string; app: string; url: string; token: string }

export interface DrainStats {
  id: string; app: string; url: string;
  sent: number; dropped: number; buffered: number; failures: number;
  lastError: string | null;
}

export interface ShipperOptions {
  /** For cursors, counters and L10 lines. */
  redis: Redis;
  /** A connection of its own: the reading loop blocks on it. */
  reader: Redis;
  prefix: string;
  /** The drains that exist now (read again every `refreshMs`). */
  drains: () => DrainTarget[];
  policy: UrlPolicy;
  extraCa?: string[];
  bufferLines?: number;
  bufferBytes?: number;
  batchLines?: number;
  batchBytes?: number;
  timeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  refreshMs?: number;
  /** Least time between two L10 lines of one drain. */
  l10IntervalMs?: number;
  log: (line: string) => void;
}

export interface DrainShipper {
  stats(): DrainStats[];
  /** Saves cursors and counters now (else every second). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Orders Redis stream ids ("ms-seq"). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  return am === bm ? Number(BigInt(as) - BigInt(bs)) : Number(BigInt(am) - BigInt(bm));
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

interface Worker {
  target: DrainTarget;
  /** Newest stream id handed to the buffer (or skipped). */
  readPos: string;
  /** Newest stream id delivered; saved as the cursor. */
  delivered: string;
  /** Hands a line over; `cursor` is the stream id to save once it is delivered: its entry's
   *  for the entry's last line, else the entry before (a restart then sends the whole entry again). */
  push(cursor: string, e: LogEntry): void;
  /** Marks the entry `id` read (all its lines pushed). */
  read(id: string): void;
  stats(): DrainStats;
  reportDropped(): { count: number; since: Date } | null;
  close(): void;
}

export function startDrainShipper(opts: ShipperOptions): DrainShipper {
  const { redis, reader, prefix, log } = opts;
  const cfg = {
    bufferLines: opts.bufferLines ?? 1024, bufferBytes: opts.bufferBytes ?? 1024 * 1024,
    batchLines: opts.batchLines ?? 500, batchBytes: opts.batchBytes ?? 256 * 1024,
    timeoutMs: opts.timeoutMs ?? 10_000, backoff: opts.backoff ?? { baseMs: 500, maxMs: 60_000 },
    refreshMs: opts.refreshMs ?? 1000, l10IntervalMs: opts.l10IntervalMs ?? 60_000,
  };
  const stop = new AbortController();
  const workers = new Map<string, Worker>();
  const savedTotals = new Map<string, { sent: number; dropped: number }>();

  function startWorker(target: DrainTarget, cursor: string): Worker {
    const buffer = createDrainBuffer({ maxLines: cfg.bufferLines, maxBytes: cfg.bufferBytes });
    const shown = redactDrainUrl(target.url);
    const base = savedTotals.get(target.id) ?? { sent: 0, dropped: 0 };
    let sent = base.sent;
    let failures = 0;
    let lastError: string | null = null;
    let lastL10 = 0;
    let wake: (() => void) | null = null;
    const closed = new AbortController();
    let transport: DrainTransport | null = null;
    let startError: unknown = null;
    try {
      transport = createTransport(checkDrainUrl(target.url, opts.policy), target.token, { policy: opts.policy, extraCa: opts.extraCa ?? [], timeoutMs: cfg.timeoutMs });
    } catch (err) {
      startError = err;
      lastError = failureReason(err);
      log(`log drain ${target.id} of ${target.app} (${shown}) not started: ${errorMessage(err)}`);
    }

    const w: Worker = {
      target, readPos: cursor, delivered: cursor,
      push(cursor, e) {
        buffer.push({ id: cursor, frame: octetCounted(syslogMessage(e, target.token)) });
        wake?.();
      },
      read(id) { w.readPos = id; },
      stats: () => ({ id: target.id, app: w.target.app, url: shown, sent, dropped: base.dropped + buffer.droppedTotal, buffered: buffer.lines, failures, lastError }),
      reportDropped() {
        if (Date.now() - lastL10 < cfg.l10IntervalMs) return null;
        const d = buffer.takeDropped();
        if (d) lastL10 = Date.now();
        return d;
      },
      close() { closed.abort(); wake?.(); transport?.close(); },
    };

    async function run(): Promise<void> {
      let batch: { items: ReturnType<typeof buffer.take>; frameId: string } | null = null;
      let attempt = 0;
      let failing = false;
      while (!closed.signal.aborted) {
        if (!batch) {
          const items = buffer.take(cfg.batchLines, cfg.batchBytes);
          if (items.length === 0) {
            await new Promise<void>((resolve) => { wake = resolve; });
            wake = null;
            continue;
          }
          batch = { items, frameId: randomUUID() };
        }
        try {
          if (!transport) throw startError;
          await transport.send(batch.items.map((i) => i.frame), batch.frameId);
          sent += batch.items.length;
          w.delivered = batch.items[batch.items.length - 1].id;
          batch = null;
          attempt = 0;
          if (failing) log(`log drain ${target.id} of ${w.target.app} (${shown}) delivers again`);
          failing = false;
        } catch (err) {
          failures++;
          lastError = failureReason(err);
          if (!failing) log(`log drain ${target.id} of ${w.target.app} (${shown}): ${lastError}; retrying with back-off`);
          failing = true;
          await sleep(backoffMs(attempt++, cfg.backoff), closed.signal);
        }
      }
    }
    void run();
    return w;
  }

  async function refresh(): Promise<void> {
    const want = new Map(opts.drains().map((d) => [d.id, d]));
    for (const [id, w] of workers) {
      const t = want.get(id);
      if (!t || t.url !== w.target.url || t.token !== w.target.token) {
        w.close();
        workers.delete(id);
        if (!t) {
          await redis.hdel(drainCursorsKey(prefix), id);
          await redis.hdel(drainStatsKey(prefix), id);
        }
      } else if (t.app !== w.target.app) {
        w.target = t; // renamed: its stream was renamed with it, ids unchanged
      }
    }
    const fresh = [...want.values()].filter((t) => !workers.has(t.id));
    if (fresh.length === 0) return;
    const ids = fresh.map((t) => t.id);
    const [cursors, totals] = await Promise.all([redis.hmget(drainCursorsKey(prefix), ...ids), redis.hmget(drainStatsKey(prefix), ...ids)]);
    for (const [i, t] of fresh.entries()) {
      const saved = totals[i] ? JSON.parse(totals[i]) as DrainStats : null;
      if (saved) savedTotals.set(t.id, { sent: saved.sent, dropped: saved.dropped });
      // A drain without a cursor (made before this one knew it) starts at the stream's end.
      const cursor = cursors[i] ?? (await redis.xrevrange(appLogKey(prefix, t.app), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
      workers.set(t.id, startWorker(t, cursor));
    }
  }

  async function readLoop(): Promise<void> {
    let lastRefresh = 0;
    let failing = false;
    while (!stop.signal.aborted) {
      try {
        if (Date.now() - lastRefresh >= cfg.refreshMs) {
          await refresh();
          lastRefresh = Date.now();
        }
        const byApp = new Map<string, Worker[]>();
        for (const w of workers.values()) byApp.set(w.target.app, [...(byApp.get(w.target.app) ?? []), w]);
        if (byApp.size === 0) { await sleep(cfg.refreshMs, stop.signal); continue; }
        const apps = [...byApp.keys()];
        const from = apps.map((a) => byApp.get(a)!.map((w) => w.readPos).reduce((m, id) => (compareStreamIds(id, m) < 0 ? id : m)));
        const res = await reader.xread('COUNT', READ_COUNT, 'BLOCK', cfg.refreshMs, 'STREAMS', ...apps.map((a) => appLogKey(prefix, a)), ...from);
        failing = false;
        for (const [key, entries] of res ?? []) {
          const app = apps[apps.findIndex((a) => appLogKey(prefix, a) === key)];
          let handed = 0;
          for (const [id, fields] of entries) {
            const lines = entriesFromFields(fields);
            if (handed > 0 && handed + lines.length > READ_LINES) break;
            handed += lines.length;
            for (const w of byApp.get(app) ?? []) {
              if (compareStreamIds(id, w.readPos) <= 0) continue;
              for (let i = 0; i < lines.length; i++) w.push(i === lines.length - 1 ? id : w.readPos, lines[i]);
              w.read(id);
            }
          }
        }
      } catch (err) {
        if (stop.signal.aborted) break;
        if (!failing) log(`log drains: reading the app logs failed: ${errorMessage(err)}; retrying`);
        failing = true;
        await sleep(1000, stop.signal);
      }
    }
  }

  async function flush(): Promise<void> {
    const list = [...workers.values()];
    for (const w of list) {
      const d = w.reportDropped();
      if (d) {
        await appendAppLog(redis, prefix, w.target.app, {
          source: 'paas', dyno: 'logplex', line: `Error L10 (output buffer overflow): ${d.count} messages dropped since ${d.since.toISOString()}.`,
        });
      }
    }
    if (list.length === 0) return;
    await redis.multi()
      .hset(drainCursorsKey(prefix), Object.fromEntries(list.map((w) => [w.target.id, w.delivered])))
      .hset(drainStatsKey(prefix), Object.fromEntries(list.map((w) => [w.target.id, JSON.stringify(w.stats())])))
      .exec();
  }

  const loop = readLoop();
  const flusher = setInterval(() => { flush().catch((err: unknown) => log(`log drains: saving cursors failed: ${errorMessage(err)}`)); }, 1000);

  return {
    stats: () => [...workers.values()].map((w) => w.stats()),
    flush,
    async close() {
      stop.abort();
      clearInterval(flusher);
      reader.disconnect();
      await loop;
      await flush().catch(() => undefined);
      for (const w of workers.values()) w.close();
      workers.clear();
    },
  };
}
