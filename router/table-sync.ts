// Keeps the router's table in step with the controller: the whole table lives in one Redis
// key, and a message on a channel says it changed. The key is re-read on start, on every
// message and on every (re)connect, so a message missed while disconnected costs nothing.
// Reads never overlap: changes arriving during a read cause exactly one more read after it.
import type { Redis } from 'ioredis';
import type { RouteTable } from '../common/routes.ts';
import { routeChannel, routeTableKey } from '../common/redis-keys.ts';
import { parseRouteTable } from './route-table.ts';

export interface TableSyncOptions {
  /** Connection for GET. */
  redis: Redis;
  /** Separate connection in subscriber mode. */
  subscriber: Redis;
  prefix: string;
  apply: (table: RouteTable) => void;
  log: (line: string) => void;
  /** Longest wait for the first read before `started` resolves anyway. */
  startWaitMs?: number;
}

export interface TableSync {
  /** Resolves after the first read attempt, the first connection error, or startWaitMs. */
  started: Promise<void>;
  /** Reads the key now (or once more after the read in progress). */
  reload(): Promise<void>;
  close(): void;
}

export function startTableSync(opts: TableSyncOptions): TableSync {
  const { redis, subscriber, log } = opts;
  const key = routeTableKey(opts.prefix);
  const channel = routeChannel(opts.prefix);
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
    opts.apply(parseRouteTable(text));
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
          if (!closed) log(`route table not loaded, keeping the current one: ${message(err)}`);
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
      markStarted();
    });
    return running;
  };

  const onReady = (): void => {
    if (!healthy) log('redis connection is back, re-reading the route table');
    healthy = true;
    void reload();
  };
  const onSubscriberReady = (): void => {
    subscriber.subscribe(channel).then(() => reload(), (err: unknown) => {
      if (!closed) log(`could not subscribe to ${channel}: ${message(err)}`);
    });
  };
  const onError = (err: Error): void => {
    if (healthy) log(`redis: ${err.message} (routing with the last known table, retrying)`);
    healthy = false;
    markStarted();
  };
  const onClose = (): void => {
    if (healthy) log('redis connection lost (routing with the last known table, retrying)');
    healthy = false;
  };
  const onMessage = (ch: string): void => {
    if (ch === channel) void reload();
  };

  redis.on('ready', onReady);
  redis.on('error', onError);
  redis.on('close', onClose);
  subscriber.on('close', onClose);
  subscriber.on('ready', onSubscriberReady);
  subscriber.on('error', onError);
  subscriber.on('message', onMessage);
  if (subscriber.status === 'ready') onSubscriberReady();
  else if (subscriber.status === 'wait') subscriber.connect().catch(() => {});
  void reload();

  return {
    started,
    reload,
    close() {
      closed = true;
      clearTimeout(startTimer);
      markStarted();
      redis.off('ready', onReady);
      redis.off('error', onError);
      redis.off('close', onClose);
      subscriber.off('close', onClose);
      subscriber.off('ready', onSubscriberReady);
      subscriber.off('error', onError);
      subscriber.off('message', onMessage);
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
