// Appends build log lines to the build's Redis stream (see buildLogKey in common/build.ts).
import type { Redis } from 'ioredis';

export interface BuildLogWriter {
  /** Queue a line; writes keep their order (one connection, no awaiting per line). */
  line(text: string): void;
  /** Write the end marker and the stream's expiry; resolves when everything is written. */
  end(status: 'succeeded' | 'failed'): Promise<void>;
  /** Wait for queued lines (e.g. before a retry). */
  flush(): Promise<void>;
}

export interface BuildLogOptions {
  maxLen?: number;
  ttlSeconds?: number;
}

export function createBuildLog(redis: Redis, key: string, opts: BuildLogOptions = {}): BuildLogWriter {
  const maxLen = String(opts.maxLen ?? 10_000);
  const ttl = opts.ttlSeconds ?? 24 * 60 * 60;
  let last: Promise<unknown> = Promise.resolve();
  let firstError: unknown = null;
  let expirySet = false;
  const write = (field: 'line' | 'end', value: string): void => {
    last = redis.xadd(key, 'MAXLEN', '~', maxLen, '*', field, value).catch((err: unknown) => {
      firstError ??= err;
    });
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
  return {
    line: (text) => write('line', text),
    flush,
    async end(status) {
      write('end', status);
      last = redis.expire(key, ttl).catch(() => {});
      await flush();
    },
  };
}
