// A build's log as a Redis stream (key buildLogKey in redis-keys.ts): its writer and its reader.
// Entries have one field: `line` (a log line, no newline); `end` ("succeeded" | "failed"), the
// builder's last entry; or `done`, written by the controller once the release that follows the
// build is done too: nothing comes after it. The builder writes the build's lines, the
// controller its own (release phase, release); the API follows the stream to `done`.
import type { Redis } from 'ioredis';
import { buildLogKey } from './redis-keys.ts';
import type { StreamTailer } from './stream-tailer.ts';

export type BuildLogMarker = 'end' | 'done';

export interface BuildLogWriter {
  /** Queue a line; writes keep their order (one connection, no awaiting per line). */
  line(text: string): void;
  /** Write the builder's end marker and the stream's expiry; resolves when everything is written. */
  end(status: 'succeeded' | 'failed'): Promise<void>;
  /** Write the controller's `done` marker: the log is complete. */
  done(): Promise<void>;
  /** Wait for queued lines (e.g. before a retry). */
  flush(): Promise<void>;
}

export interface BuildLogOptions {
  maxLen?: number;
  ttlSeconds?: number;
  /** Longest line kept (characters; longer ones are cut). */
  maxLineChars?: number;
  /** Line bytes a build's log may hold: later lines are dropped, but for the platform's own
   *  (" !" lines), and one line says so. */
  maxBytes?: number;
  /** Lines waiting to be written to Redis: a build printing faster than that loses lines. */
  maxPending?: number;
}

/** Seconds a finished build's stream is kept once the controller marked it done (its file stays). */
const DONE_TTL_SECONDS = 600;

export function createBuildLogWriter(redis: Redis, prefix: string, buildId: string, opts: BuildLogOptions = {}): BuildLogWriter {
  const key = buildLogKey(prefix, buildId);
  const maxLen = String(opts.maxLen ?? 10_000);
  const ttl = opts.ttlSeconds ?? 24 * 60 * 60;
  const maxLine = opts.maxLineChars ?? 4096;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const maxPending = opts.maxPending ?? 10_000;
  let last: Promise<unknown> = Promise.resolve();
  let firstError: unknown = null;
  let expirySet = false;
  let bytes = 0;
  let pending = 0;
  let dropped = 0;
  let truncatedNoted = false;
  const write = (field: 'line' | BuildLogMarker, value: string): void => {
    pending++;
    last = redis.xadd(key, 'MAXLEN', '~', maxLen, '*', field, value).catch((err: unknown) => {
      firstError ??= err;
    }).finally(() => { pending--; });
    if (!expirySet) {
      // Also right away, so a builder that dies mid-build does not leave the stream forever.
      expirySet = true;
      last = redis.expire(key, ttl).catch(() => {});
    }
  };
  const flush = async (): Promise<void> => {
    await last;
    if (firstError) {
      const err = firstError;
      firstError = null;
      throw err;
    }
  };
  const finish = async (field: BuildLogMarker, value: string): Promise<void> => {
    write(field, value);
    last = redis.expire(key, ttl).catch(() => {});
    await flush();
  };
  /** Bounds a build's log: line length, bytes kept, lines in flight. */
  const line = (raw: string): void => {
    const text = raw.length > maxLine ? `${raw.slice(0, maxLine)} [line truncated]` : raw;
    if (pending >= maxPending) { dropped++; return; }
    if (dropped > 0) {
      write('line', ` !     ${dropped} log lines were dropped: the build printed faster than its log is stored.`);
      dropped = 0;
    }
    const size = Buffer.byteLength(text);
    if (bytes + size > maxBytes && !text.startsWith(' !')) {
      if (!truncatedNoted) write('line', ` !     The build log is longer than ${Math.round(maxBytes / 1024 / 1024)} MiB: further lines are not kept.`);
      truncatedNoted = true;
      return;
    }
    bytes += size;
    write('line', text);
  };
  return {
    line,
    flush,
    end: (status) => finish('end', status),
    done: async () => {
      await finish('done', '1');
      await redis.expire(key, Math.min(ttl, DONE_TTL_SECONDS)).catch(() => {});
    },
  };
}

export interface FollowOptions {
  /** Stop at this marker: `end` (the builder's part) or `done` (the whole log). */
  until: BuildLogMarker;
  /** Asked whenever no entry came for a while: true stops the reading (nothing more will come). */
  finished: () => boolean;
  signal?: AbortSignal;
  /** Follow over this shared connection (API readers) instead of a connection of its own. */
  tail?: StreamTailer;
}

/** Calls emit for every line of the build's log from its start, following new ones until the
 *  marker, until finished() says so while the stream is idle, or until the signal aborts. */
export async function followBuildLog(redis: Redis, prefix: string, buildId: string, opts: FollowOptions, emit: (line: string) => void): Promise<void> {
  if (opts.tail) return followShared(opts.tail, buildLogKey(prefix, buildId), opts, emit);
  const reader = redis.duplicate();
  const stop = (): void => reader.disconnect();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const key = buildLogKey(prefix, buildId);
  let last = '0-0';
  try {
    while (!opts.signal?.aborted) {
      const res = await reader.xread('COUNT', 500, 'BLOCK', 500, 'STREAMS', key, last);
      const entries = res?.[0]?.[1] ?? [];
      for (const [id, fields] of entries) {
        last = id;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] === 'line') emit(fields[i + 1]);
          if (fields[i] === opts.until) return;
        }
      }
      if (entries.length === 0 && opts.finished()) return;
    }
  } catch (err) {
    if (!opts.signal?.aborted) throw err;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    reader.disconnect();
  }
}

/** followBuildLog over a shared tailer: idle half-seconds ask finished(). */
async function followShared(tail: StreamTailer, key: string, opts: FollowOptions, emit: (line: string) => void): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let idle = true;
  const timer = setInterval(() => {
    if (idle && opts.finished()) stop.abort();
    idle = true;
  }, 500);
  try {
    await tail.follow(key, '0-0', (entries) => {
      idle = false;
      for (const [, fields] of entries) {
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] === 'line') emit(fields[i + 1]);
          if (fields[i] === opts.until) return true;
        }
      }
      return false;
    }, stop.signal);
  } finally {
    clearInterval(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
