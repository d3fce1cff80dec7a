// Entry point of one router worker process (forked by cluster.ts). It waits for its start
// message from the primary, runs the router, answers metrics requests and stops on request or
// when the primary goes away — unless the start message has a takeover dir: then it keeps
// serving as an orphan until a new supervisor tells it to finish (takeover.ts).
import cluster from 'node:cluster';
import { Redis } from 'ioredis';
import { accessLogger, type AccessLogger } from '../common/app-log.ts';
import type { WorkerMessage, WorkerStart } from './cluster.ts';
import { startRouter, type OnAccess, type RouterHandle } from './index.ts';
import { startMinuteRecorder, type MinuteRecorder } from './minute-metrics.ts';
import { errorMessage } from '../common/errors.ts';
import { registerOrphan } from './takeover.ts';

let router: RouterHandle | null = null;
let accessRedis: Redis | null = null;
let accessLines: AccessLogger | null = null;
let recorder: MinuteRecorder | null = null;
let takeoverDir: string | undefined;
let unregister: (() => void) | null = null;
const send = (msg: WorkerMessage): void => { if (process.connected) process.send!(msg); };

async function start(msg: WorkerStart): Promise<void> {
  const { config } = msg;
  takeoverDir = msg.takeoverDir;
  // node:cluster exits a worker whose primary went away unless it "exited after disconnect".
  if (takeoverDir && cluster.worker) cluster.worker.exitedAfterDisconnect = true;
  const log = (line: string): void => console.error(`router[${process.pid}]: ${line}`);
  // While Redis is away access lines and minute counts are dropped, not queued: a queue would
  // grow with every request for as long as the outage lasts.
  accessRedis = msg.accessLog || msg.history ? new Redis(config.redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false }) : null;
  accessRedis?.on('error', () => {}); // table-sync reports Redis trouble once
  const lines = accessLines = accessRedis && msg.accessLog ? accessLogger(accessRedis, config.redisPrefix) : null;
  recorder = accessRedis && msg.history ? startMinuteRecorder({ redis: accessRedis, prefix: config.redisPrefix, flushMs: msg.historyFlushMs, log }) : null;
  const minutes = recorder;
  const onAccess: OnAccess | undefined = lines && minutes ? (e) => { lines(e); minutes.record(e); } : (lines ?? minutes?.record);
  router = await startRouter({
    config,
    limits: msg.limits,
    upstreamTimeoutMs: msg.upstreamTimeoutMs,
    onAccess,
    tls: msg.tls ? { ...msg.tls, ticketKeys: Buffer.from(msg.tls.ticketKeys, 'hex') } : undefined,
    log,
    seed: msg.seed,
    onState: (state) => send({ type: 'state', state }),
    reusePort: takeoverDir !== undefined,
  });
  send({ type: 'ready', port: router.port, httpsPort: router.edge.httpsPort() });
}

/** How long a stopping worker lets its connections finish (the primary kills it after 5 s). */
const DRAIN_GRACE_MS = 4000;

async function stop(): Promise<void> {
  await router?.drain(DRAIN_GRACE_MS);
  await accessLines?.flush();
  await recorder?.close();
  accessRedis?.disconnect();
  unregister?.();
  process.exit(0);
}

/** The primary is gone: an orphan keeps serving; otherwise the worker stops. */
function primaryGone(): void {
  if (!takeoverDir || !router) {
    void stop();
    return;
  }
  unregister = registerOrphan(takeoverDir);
  console.error(`router[${process.pid}]: supervisor gone: serving on until a new one takes over`);
}

process.on('message', (msg: WorkerStart | { type: 'metrics'; id: number } | { type: 'stop' }) => {
  if (msg.type === 'start') {
    start(msg).catch((err: unknown) => {
      send({ type: 'failed', message: errorMessage(err) });
      process.exit(1);
    });
  } else if (msg.type === 'metrics') {
    if (router) send({ type: 'metrics', id: msg.id, snapshot: router.edge.metrics.snapshot() });
  } else if (msg.type === 'stop') {
    void stop();
  }
});
process.on('disconnect', primaryGone);
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary decides
