// Keeps the HTTPS listener's certificates in step with the controller, like table-sync does for
// routes: the bundle is read on start, on every message on the channel and on every (re)connect;
// reads never overlap. If Redis is unreachable, the last bundle (or the default certificate) stays.
import type { Redis } from 'ioredis';
import type { CertBundle } from '../common/tls.ts';
import { certBundleKey, certChannel } from '../common/redis-keys.ts';
import { parseCertBundle } from './tls.ts';

export interface CertSyncOptions {
  redis: Redis;
  /** Separate connection in subscriber mode (closed by close()). */
  subscriber: Redis;
  prefix: string;
  apply: (bundle: CertBundle) => void;
  log: (line: string) => void;
}

export interface CertSync {
  /** Resolves after the first read attempt (or 3 s). */
  started: Promise<void>;
  reload(): Promise<void>;
  close(): void;
}

export function startCertSync(opts: CertSyncOptions): CertSync {
  const { redis, subscriber, log } = opts;
  const key = certBundleKey(opts.prefix);
  const channel = certChannel(opts.prefix);
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => { markStarted = resolve; });
  const timer = setTimeout(() => markStarted(), 3000);
  timer.unref();

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
          const text = await redis.get(key);
          if (!closed && text !== null) opts.apply(parseCertBundle(text));
        } catch (err) {
          if (!closed) log(`certificates not loaded, keeping the current ones: ${err instanceof Error ? err.message : String(err)}`);
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
      markStarted();
    });
    return running;
  };

  const onReady = (): void => void reload();
  const onSubscriberReady = (): void => {
    subscriber.subscribe(channel).then(() => reload(), () => {});
  };
  const onMessage = (ch: string): void => {
    if (ch === channel) void reload();
  };
  const ignore = (): void => {}; // table-sync already reports Redis trouble
  redis.on('ready', onReady);
  subscriber.on('ready', onSubscriberReady);
  subscriber.on('message', onMessage);
  subscriber.on('error', ignore);
  if (subscriber.status === 'ready') onSubscriberReady();
  else if (subscriber.status === 'wait') subscriber.connect().catch(() => {});
  void reload();

  return {
    started,
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      markStarted();
      redis.off('ready', onReady);
      subscriber.off('ready', onSubscriberReady);
      subscriber.off('message', onMessage);
      subscriber.disconnect();
    },
  };
}
