// Keeps a router's copy of a document the controller publishes in Redis in step with it: the
// route table and the certificate bundle. The whole document lives in one key, and a message
// on a channel says it changed. The key is re-read on start, on every message and on every
// (re)connect, so a message missed while disconnected costs nothing. Reads never overlap:
// changes arriving during a read cause exactly one more read after it. If Redis is unreachable
// or a document is unusable, the last good one stays in use.
import type { Redis } from 'ioredis';
import { errorMessage } from '../common/errors.ts';

export interface KeySyncOptions<T> {
  /** Connection for GET; the sync makes (and closes) its own subscriber from it. */
  redis: Redis;
  key: string;
  channel: string;
  /** What the document is, for the log ("route table"). */
  what: string;
  /** Parses the stored text; throws if it is unusable. */
  parse: (text: string) => T;
  apply: (doc: T) => void;
  log: (line: string) => void;
  /** Longest wait for the first read before `started` resolves anyway (default 3 s). */
  startWaitMs?: number;
}

export interface KeySync {
  /** Resolves after the first read attempt, the first connection error, or startWaitMs. */
  started: Promise<void>;
  /** Reads the key now (or once more after the read in progress). */
  reload(): Promise<void>;
  /** Stops following and disconnects the subscriber. */
  close(): void;
}

export function startKeySync<T>(opts: KeySyncOptions<T>): KeySync {
  const { redis, key, channel, what, log } = opts;
  const subscriber = redis.duplicate({ disconnectTimeout: 100 });
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  let healthy = true;

  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => { markStarted = resolve; });
  const startTimer = setTimeout(() => markStarted(), opts.startWaitMs ?? 3000);
  startTimer.unref();

  const readOnce = async (): Promise<void> => {
    const text = await redis.get(key);
    if (closed || text === null) return;
    opts.apply(opts.parse(text));
  };

  const reload = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await readOnce();
        } catch (err) {
          if (!closed) log(`${what} not loaded, keeping the current one: ${errorMessage(err)}`);
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
      markStarted();
    });
    return running;
  };

  const onReady = (): void => {
    if (!healthy) log(`redis connection is back, re-reading the ${what}`);
    healthy = true;
    void reload();
  };
  const onSubscriberReady = (): void => {
    subscriber.subscribe(channel).then(() => reload(), (err: unknown) => {
      if (!closed) log(`could not subscribe to ${channel}: ${errorMessage(err)}`);
    });
  };
  const onError = (err: Error): void => {
    if (healthy) log(`redis: ${err.message} (using the last known ${what}, retrying)`);
    healthy = false;
    markStarted();
  };
  const onClose = (): void => {
    if (healthy && !closed) log(`redis connection lost (using the last known ${what}, retrying)`);
    healthy = false;
  };
  const onMessage = (ch: string): void => {
    if (ch === channel) void reload();
  };

  const listeners: Array<[Redis, string, (...args: any[]) => void]> = [
    [redis, 'ready', onReady], [redis, 'error', onError], [redis, 'close', onClose],
    [subscriber, 'ready', onSubscriberReady], [subscriber, 'error', onError], [subscriber, 'close', onClose],
    [subscriber, 'message', onMessage],
  ];
  for (const [emitter, event, fn] of listeners) emitter.on(event, fn);
  if (subscriber.status === 'wait') subscriber.connect().catch(() => {});
  void reload();

  return {
    started,
    reload,
    close() {
      closed = true;
      clearTimeout(startTimer);
      markStarted();
      for (const [emitter, event, fn] of listeners) emitter.off(event, fn);
      subscriber.on('error', () => {}); // a late error of the closing connection
      subscriber.disconnect();
    },
  };
}
