// The router's process tree: a small primary (the supervisor) forks router workers that share
// the listening sockets (node:cluster hands out connections); each runs the whole router (its
// own Redis table sync, certificate sync and upstream pools). The primary serves /metrics by
// adding up the workers' counters and replaces a worker that dies. It also keeps the newest
// route table and certificate bundle the workers report (and, with stateFile, on disk): a
// replacement worker starts from them, so it routes even while Redis is unreachable.
// bin/paas-router.ts runs this as its own process, apart from paasd; startRouter() alone is
// the single-process mode of tests.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Config } from '../common/config.ts';
import type { RouterState } from './index.ts';
import { startAdminServer, type AdminOptions, type AdminServer } from './admin.ts';
import type { TlsListenerOptions } from './edge.ts';
import type { RouterLimits } from './limits.ts';
import { mergeSnapshots, type MetricsSnapshot } from './metrics.ts';
import { createStateKeeper } from './router-state.ts';
import { retireOrphans } from './takeover.ts';
import { dynoMetricsSource } from './dyno-prometheus.ts';
import { drainMetricsSource } from './drain-prometheus.ts';
import { Redis } from 'ioredis';

export interface ClusterOptions {
  config: Config;
  workers: number;
  tls?: TlsListenerOptions;
  limits?: Partial<RouterLimits>;
  admin?: AdminOptions;
  /** Workers append Heroku-style access lines to each app's log stream in Redis. */
  accessLog?: boolean;
  /** Workers store per-app request counts per minute in Redis (minute-metrics.ts). */
  history?: boolean;
  /** How often workers write those counts; default 10 s. */
  historyFlushMs?: number;
  upstreamTimeoutMs?: number;
  /** Node flags of the workers (default: the primary's, minus test-runner ones), e.g. --cpu-prof. */
  execArgv?: string[];
  log?: (line: string) => void;
  /** File keeping the last-known route table and certificates across restarts (router-state.ts). */
  stateFile?: string;
  /** Workers outlive a killed supervisor and the next one takes over from them (takeover.ts):
   *  they listen with SO_REUSEPORT, keep serving when the primary dies and register in this dir. */
  takeoverDir?: string;
}

/** What the primary sends a worker to start it (over IPC: keys never touch argv or env). */
export interface WorkerStart {
  type: 'start';
  config: Config;
  tls?: Omit<TlsListenerOptions, 'ticketKeys'> & { ticketKeys: string };
  limits?: Partial<RouterLimits>;
  accessLog: boolean;
  history: boolean;
  historyFlushMs?: number;
  upstreamTimeoutMs?: number;
  /** The newest table and certificates known to the primary. */
  seed: RouterState;
  /** Set: listen with SO_REUSEPORT and keep serving as an orphan when the primary dies. */
  takeoverDir?: string;
}

export type WorkerMessage =
  | { type: 'ready'; port: number; httpsPort: number | null }
  | { type: 'state'; state: RouterState }
  | { type: 'failed'; message: string }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot };

export interface RouterCluster {
  port: number;
  httpsPort: number | null;
  adminPort: number | null;
  workers(): number;
  /** Process ids of the live workers. */
  pids(): number[];
  /** Replaces the workers one at a time (new code on disk, e.g. after an upgrade): each new
   *  one is ready before an old one is told to stop, and the old one finishes its requests. */
  restartWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function startRouterCluster(opts: ClusterOptions): Promise<RouterCluster> {
  const log = opts.log ?? ((line: string) => console.error(`router: ${line}`));
  // Takeover: every worker holds its own listening sockets (the primary holds none).
  if (opts.takeoverDir) cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./cluster-worker.ts', import.meta.url)),
    args: [],
    execArgv: opts.execArgv ?? process.execArgv.filter((a) => !a.startsWith('--test')),
  });
  const ticketKeys = randomBytes(48).toString('hex');
  const workers = new Set<Worker>();
  /** Workers told to stop by restartWorkers(): not replaced when they exit. */
  const retiring = new Set<Worker>();
  let closing = false;
  let ports = { port: opts.config.routerPort, httpsPort: opts.tls?.port ?? null };
  let metricsId = 0;
  const pendingMetrics = new Map<number, { left: number; snaps: MetricsSnapshot[]; done: () => void }>();
  const state = createStateKeeper({ file: opts.stateFile, log });

  const startMessage = (): WorkerStart => ({
    type: 'start',
    // Port 0 too: the primary hands every worker's n-th listen(0) the same socket. Workers with
    // sockets of their own (takeover) listen on the ports the first one got.
    config: opts.takeoverDir ? { ...opts.config, routerPort: ports.port } : opts.config,
    tls: opts.tls ? { ...opts.tls, ...(opts.takeoverDir && ports.httpsPort !== null ? { port: ports.httpsPort } : {}), ticketKeys } : undefined,
    limits: opts.limits,
    accessLog: opts.accessLog ?? false,
    history: opts.history ?? false,
    historyFlushMs: opts.historyFlushMs,
    upstreamTimeoutMs: opts.upstreamTimeoutMs,
    seed: state.current(),
    takeoverDir: opts.takeoverDir,
  });

  /** Starts a replacement after delayMs; one that fails to start is tried again, waiting twice
   *  as long each time (30 s at most), so the router never stays short of a worker. */
  const replace = (delayMs: number): void => {
    setTimeout(() => {
      if (closing) return;
      fork(true).catch((err: Error) => {
        log(`${err.message}; trying again in ${Math.min(delayMs * 2, 30_000)} ms`);
        replace(Math.min(delayMs * 2, 30_000));
      });
    }, delayMs).unref();
  };

  const fork = (replacing = false): Promise<{ port: number; httpsPort: number | null }> => new Promise((resolve, reject) => {
    const worker = cluster.fork();
    workers.add(worker);
    let started = false;
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        started = true;
        if (replacing) log(`worker ${worker.process.pid} ready`);
        resolve({ port: msg.port, httpsPort: msg.httpsPort });
      } else if (msg.type === 'failed') {
        reject(new Error(`router worker failed to start: ${msg.message}`));
      } else if (msg.type === 'state') {
        state.offer(msg.state);
      } else if (msg.type === 'metrics') {
        const p = pendingMetrics.get(msg.id);
        if (p) {
          p.snaps.push(msg.snapshot);
          if (--p.left === 0) p.done();
        }
      }
    });
    worker.once('online', () => worker.send(startMessage()));
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (!started) reject(new Error(`router worker exited while starting (${signal ?? code})`));
      else if (retiring.delete(worker)) log(`worker ${worker.process.pid} retired`);
      else if (!closing) {
        log(`worker ${worker.process.pid} exited (${signal ?? code}), starting another`);
        replace(200);
      }
    });
  });

  let admin: AdminServer | null = null;
  let adminRedis: Redis | null = null;
  try {
    ports = await fork();
    await Promise.all(Array.from({ length: Math.max(0, opts.workers - 1) }, () => fork()));
    if (opts.admin) {
      // Per-dyno gauges come from paasd's collector through Redis; a scrape never waits on a
      // Redis that is away (no offline queue, one attempt).
      adminRedis = new Redis(opts.config.redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: false });
      adminRedis.on('error', () => {});
      const dynos = dynoMetricsSource(adminRedis, opts.config.redisPrefix, log);
      const drains = drainMetricsSource(adminRedis, opts.config.redisPrefix);
      const extra = async (): Promise<string> => (await dynos()) + (await drains());
      admin = await startAdminServer({ ...opts.admin, snapshot: collect, workers: () => workers.size, extra, log });
    }
    // Workers of a supervisor that was killed still serve: ours are ready, so they may finish.
    if (opts.takeoverDir) {
      const orphans = retireOrphans(opts.takeoverDir);
      if (orphans.length > 0) log(`took over from the workers of a previous supervisor (${orphans.join(', ')}): they finish their requests and exit`);
    }
  } catch (err) {
    closing = true;
    for (const w of workers) w.kill();
    adminRedis?.disconnect();
    throw err;
  }

  /** Asks every worker for its counters (1 s at most) and adds them up. */
  function collect(): Promise<MetricsSnapshot> {
    const id = ++metricsId;
    const live = [...workers].filter((w) => w.isConnected());
    return new Promise((resolve) => {
      const entry = { left: live.length, snaps: [] as MetricsSnapshot[], done: () => {} };
      const timer = setTimeout(() => entry.done(), 1000);
      entry.done = () => {
        clearTimeout(timer);
        pendingMetrics.delete(id);
        resolve(mergeSnapshots(entry.snaps));
      };
      pendingMetrics.set(id, entry);
      if (live.length === 0) entry.done();
      for (const w of live) w.send({ type: 'metrics', id });
    });
  }

  /** Asks a worker to finish its requests and exit; SIGKILL after 5 s. */
  const stopWorker = (w: Worker): Promise<void> => new Promise<void>((resolve) => {
    const kill = setTimeout(() => w.kill('SIGKILL'), 5000);
    w.once('exit', () => { clearTimeout(kill); resolve(); });
    if (w.isConnected()) w.send({ type: 'stop' });
    else w.kill();
  });
  return {
    port: ports.port,
    httpsPort: ports.httpsPort,
    adminPort: admin?.port ?? null,
    workers: () => workers.size,
    pids: () => [...workers].map((w) => w.process.pid!).filter(Boolean),
    async restartWorkers() {
      for (const old of [...workers]) {
        if (closing) return;
        await fork(true);
        retiring.add(old);
        await stopWorker(old);
      }
    },
    async close() {
      closing = true;
      await admin?.close();
      adminRedis?.disconnect();
      await Promise.all([...workers].map(stopWorker));
      await state.flush();
    },
  };
}
