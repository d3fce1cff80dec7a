// The router: an HTTP front door that sends each request to one of its app's web dynos.
// It follows the controller's route table (Redis key + pub/sub) and swaps it in memory; it
// never restarts or reloads anything to change routes.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { Redis } from 'ioredis';
import type { Config } from '../common/config.ts';
import { routeChannel, routeTableKey } from '../common/redis-keys.ts';
import type { RouteTable } from '../common/routes.ts';
import type { CertBundle } from '../common/tls.ts';
import type { OnAccess } from './access.ts';
import { startAckReporter, type AckReporter } from './acks.ts';
import { createEdge, type Edge, type EdgeOptions } from './edge.ts';
import { installFastPath, type FastPath } from './fast-path.ts';
import { createInFlight } from './inflight.ts';
import { sendPage } from './error-pages.ts';
import { startKeySync } from './key-sync.ts';
import { buildLookup, createBalancer, EMPTY_TABLE, parseRouteTable } from './route-table.ts';
import { trustCheck } from './trusted-proxies.ts';
import { createUpstreams } from './upstreams.ts';
import { createWebHandler } from './web-handler.ts';
import { createUpgradeHandler } from './ws-handler.ts';

export type { AccessEntry, OnAccess } from './access.ts';

export interface RouterOptions extends EdgeOptions {
  config: Config;
  /** Connection for reading the table; created from config.redisUrl when absent (and then closed by close()). */
  redis?: Redis;
  /** Called once per request, when its response is done (or the client left). */
  onAccess?: OnAccess;
  /** Time a backend has to send response headers; default 30 s. */
  upstreamTimeoutMs?: number;
  /** Operational messages (Redis trouble, upstream failures); default: stderr. */
  log?: (line: string) => void;
  /** Peers whose X-Forwarded-* are believed (addresses, CIDR ranges); default: config.trustedProxies. */
  trustedProxies?: string[];
  /** Last-known state to serve from the first request on, before (or without) Redis. */
  seed?: RouterState;
  /** Called with each route table and certificate bundle swapped in (a supervisor keeps the last). */
  onState?: (state: RouterState) => void;
  /** Listen with SO_REUSEPORT: a worker of a new supervisor listens beside orphaned ones (cluster.ts). */
  reusePort?: boolean;
  /** Serve the common request from the raw socket (fast-path.ts); default true. */
  fastPath?: boolean;
}

/** What a router serves from memory: the route table and the certificate bundle. */
export interface RouterState {
  table?: RouteTable;
  certs?: CertBundle;
}

export interface RouterHandle {
  /** The port actually listened on (config.routerPort may be 0). */
  port: number;
  server: http.Server;
  /** Swaps in a table unless it is older than the current one. */
  apply(table: RouteTable): void;
  table(): RouteTable;
  close(): Promise<void>;
  /** Graceful stop: takes no new connections, lets each open one end after its next response
   *  (Connection: close), then closes after at most graceMs whatever is left. */
  drain(graceMs: number): Promise<void>;
  /** HTTPS listener, metrics, limits (edge.ts). */
  edge: Edge;
}

export async function startRouter(opts: RouterOptions): Promise<RouterHandle> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => console.error(`router: ${line}`));

  let lookup = buildLookup(EMPTY_TABLE);
  const balancer = createBalancer();
  // Draining: requests in flight per backend, reported (with the table version in use) to the
  // controller, which stops a dyno that left the table only once nothing is in flight to it.
  const inflight = createInFlight();
  let acks: AckReporter | null = null;
  const apply = (table: RouteTable): void => {
    if (table.version < lookup.table.version) {
      log(`ignoring route table v${table.version}, older than v${lookup.table.version}`);
      return;
    }
    const changed = table.version !== lookup.table.version;
    lookup = buildLookup(table);
    balancer.retain(table.apps.map((a) => a.app));
    acks?.report();
    pruneSoon();
    if (changed) opts.onState?.({ table });
  };

  // Upstream keep-alive pools, one per backend address; idle connections are dropped before
  // typical backend idle timeouts (and sooner when a backend sends "Keep-Alive: timeout=N").
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 30_000;
  const upstreams = createUpstreams({ headersTimeoutMs: upstreamTimeoutMs });
  /** Pools of backends that left the table are closed once nothing is in flight to them (their
   *  port may be handed to another container later). Soon, not at once: a finished response's
   *  connection returns to its pool a moment after the response ends. */
  let pruneTimer: NodeJS.Timeout | undefined;
  function pruneSoon(): void {
    pruneTimer ??= setTimeout(() => {
      pruneTimer = undefined;
      upstreams.prune(lookup.backendKeys, (key) => inflight.count(key) > 0);
    }, 100);
    pruneTimer.unref();
  }
  inflight.onIdle((key) => {
    if (lookup.backendKeys.has(key)) return;
    acks?.report();
    pruneSoon();
  });
  // Websocket upgrades only (ws-handler.ts): each gets a connection of its own.
  const proxy = createProxyServer({ connectTimeout: 5000 });
  proxy.on('error', (err, _req, res) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') log(`proxy: ${err.message}`);
    if (res instanceof http.ServerResponse) {
      sendPage(res, 'bad-gateway', String(res.getHeader('x-request-id') ?? ''));
    } else {
      res.destroy();
    }
  });
  proxy.on('econnreset', () => {}); // the client went away; nothing to answer

  if (opts.seed?.table) apply(opts.seed.table); // before Redis answers, or while it does not
  const trusted = trustCheck(opts.trustedProxies ?? config.trustedProxies ?? []);
  const edge = createEdge({
    ...opts, prefix: config.redisPrefix, lookup: () => lookup, log, trusted,
    seedCerts: opts.seed?.certs, onCerts: opts.onState && ((certs) => opts.onState!({ certs })),
  });
  const web = createWebHandler({ upstreams, lookup: () => lookup, balancer, log, onAccess: edge.onAccess, inflight, upstreamTimeoutMs, trusted });
  const upgrades = createUpgradeHandler({
    proxy, lookup: () => lookup, balancer, log, onAccess: edge.onAccess, trusted, idleTimeoutMs: edge.limits.wsIdleTimeoutMs,
  });

  // disconnectTimeout: ioredis otherwise waits 2 s on close() for a socket that already died.
  const redis = opts.redis ?? new Redis(config.redisUrl, {
    maxRetriesPerRequest: null, connectionName: `${config.redisPrefix}:router`, disconnectTimeout: 100,
  });
  const sync = startKeySync({
    redis, key: routeTableKey(config.redisPrefix), channel: routeChannel(config.redisPrefix), what: 'route table', parse: parseRouteTable, apply, log,
  });
  // Route with the stored table from the first request on, if Redis is up; a seeded router
  // listens at once (a replacement worker must not wait for a Redis that may be down).
  if (!opts.seed?.table) await sync.started;

  const server = http.createServer({ requireHostHeader: false, ...edge.serverOptions }, edge.handler(web, false));
  server.on('upgrade', upgrades.handle);
  const fastPaths: FastPath[] = [];
  const addFastPath = opts.fastPath === false ? undefined : (srv: net.Server, secure: boolean): void => {
    fastPaths.push(installFastPath({
      server: srv, secure, proxy: web.proxy, lookup: () => lookup, balancer, limits: edge.limits, trusted, draining: edge.draining, httpsPort: edge.httpsPort,
    }));
  };
  addFastPath?.(server, false);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: config.routerPort, host: config.routerBind, reusePort: opts.reusePort === true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await edge.start({
      redis, http: server, web, upgrade: upgrades.handle, bind: config.routerBind, reusePort: opts.reusePort, fastPath: addFastPath && ((srv) => addFastPath(srv, true)),
    });
    acks = startAckReporter({
      redis, prefix: config.redisPrefix, log,
      state: () => ({ version: lookup.table.version, draining: inflight.outside(lookup.backendKeys as Set<string>) }),
    });
  } catch (err) {
    void edge.close();
    server.close();
    sync.close();
    if (!opts.redis) redis.disconnect();
    void upstreams.destroy();
    throw err;
  }

  server.on('error', (err) => log(`server: ${err.message}`));

  let closing: Promise<void> | null = null;
  const openConnections = async (): Promise<number> => {
    const count = (srv: net.Server | null): Promise<number> => new Promise((resolve) => {
      if (!srv) resolve(0);
      else srv.getConnections((err, n) => resolve(err ? 0 : n));
    });
    return (await count(server)) + (await count(edge.httpsServer()));
  };
  const handle: RouterHandle = {
    port: (server.address() as AddressInfo).port,
    server,
    apply,
    edge,
    table: () => lookup.table,
    async drain(graceMs) {
      edge.beginDrain();
      if (server.listening) net.Server.prototype.close.call(server); // see edge.beginDrain
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (await openConnections()) > 0) await new Promise((r) => setTimeout(r, 50));
      await handle.close();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        sync.close();
        clearTimeout(pruneTimer);
        const reported = acks?.close() ?? Promise.resolve();
        let pending = 4;
        const done = (): void => { if (--pending === 0) resolve(); };
        void reported.then(() => { if (!opts.redis) redis.disconnect(); done(); });
        for (const fast of fastPaths) fast.closeAll();
        server.close(done);
        void edge.close().then(done);
        upgrades.close();
        server.closeAllConnections();
        void upstreams.destroy().then(done);
      });
      return closing;
    },
  };
  return handle;
}
