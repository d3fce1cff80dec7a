// Many readers following Redis streams over ONE connection (log followers of the API): a single
// XREAD BLOCK covers every key someone follows; a reader that arrives while it blocks wakes it
// (CLIENT UNBLOCK from the ordinary connection). A connection per follower would let any user
// open thousands of Redis connections with as many `paas logs --tail`.
import type { Redis } from 'ioredis';

export type StreamEntry = [id: string, fields: string[]];

export interface StreamTailer {
  /** Calls onEntries with the entries of `key` after `fromId` ("$": from now) as they come, until
   *  the signal aborts or onEntries returns true (done). */
  follow(key: string, fromId: string, onEntries: (entries: StreamEntry[]) => boolean | void, signal?: AbortSignal): Promise<void>;
  /** Connections to Redis this tailer holds (for tests and metrics). */
  connections(): number;
  close(): void;
}

interface Sub { key: string; lastId: string; onEntries: (entries: StreamEntry[]) => boolean | void; done: () => void }

const parse = (id: string): [bigint, bigint] => {
  const [ms, seq] = id.split('-');
  return [BigInt(ms || 0), BigInt(seq || 0)];
};
const after = (a: string, b: string): boolean => {
  const [am, as] = parse(a);
  const [bm, bs] = parse(b);
  return am > bm || (am === bm && as > bs);
};

export function createStreamTailer(redis: Redis, opts: { blockMs?: number } = {}): StreamTailer {
  const blockMs = opts.blockMs ?? 5000;
  const subs = new Set<Sub>();
  let reader: Redis | null = null;
  let readerId: string | null = null;
  let blocked = false;
  let running = false;
  let closed = false;

  const wake = (): void => {
    if (blocked && readerId) void redis.client('UNBLOCK', readerId).catch(() => undefined);
  };

  async function loop(): Promise<void> {
    running = true;
    try {
      while (!closed && subs.size > 0) {
        if (!reader) {
          reader = redis.duplicate();
          readerId = String(await reader.client('ID'));
        }
        // Per key, the oldest position any of its readers is at.
        const from = new Map<string, string>();
        for (const s of subs) {
          const cur = from.get(s.key);
          if (cur === undefined || after(cur, s.lastId)) from.set(s.key, s.lastId);
        }
        blocked = true;
        let got: Array<[string, StreamEntry[]]> | null;
        try {
          got = await reader.xread('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', ...from.keys(), ...from.values()) as Array<[string, StreamEntry[]]> | null;
        } catch {
          if (closed) return;
          await new Promise((r) => setTimeout(r, 500));
          continue;
        } finally {
          blocked = false;
        }
        for (const [key, entries] of got ?? []) {
          for (const s of [...subs]) {
            if (s.key !== key) continue;
            const fresh = entries.filter(([id]) => after(id, s.lastId));
            if (fresh.length === 0) continue;
            s.lastId = fresh[fresh.length - 1][0];
            if (s.onEntries(fresh) === true) s.done();
          }
        }
      }
    } finally {
      running = false;
      if (subs.size > 0 && !closed) void loop();
    }
  }

  return {
    async follow(key, fromId, onEntries, signal) {
      if (closed || signal?.aborted) return;
      let lastId = fromId;
      if (fromId === '$') {
        const last = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
        lastId = last[0]?.[0] ?? '0-0';
      }
      await new Promise<void>((resolve) => {
        const sub: Sub = {
          key, lastId, onEntries,
          done: () => { subs.delete(sub); signal?.removeEventListener('abort', sub.done); resolve(); },
        };
        signal?.addEventListener('abort', sub.done, { once: true });
        subs.add(sub);
        if (running) wake();
        else void loop();
      });
    },
    connections: () => (reader ? 1 : 0),
    close() {
      closed = true;
      for (const s of [...subs]) s.done();
      reader?.disconnect();
      reader = null;
    },
  };
}
