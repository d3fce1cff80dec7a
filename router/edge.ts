// What the router does at its edge, around the web handler: the HTTPS listener (SNI, the
// certificate bundle from Redis), ACME HTTP-01 answers, per-app HTTP→HTTPS redirects and HSTS,
// the request body limit, client timeouts, metrics and the admin listener.
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { certBundleKey, certChannel } from '../common/redis-keys.ts';
import type { CertBundle } from '../common/tls.ts';
import type { PemPair } from '../common/x509.ts';
import { elapsedMs, reportAccess, requestFacts, type AccessEntry, type OnAccess } from './access.ts';
import { answerAcmeChallenge, isAcmeChallenge } from './acme-challenge.ts';
import { startAdminServer, type AdminOptions, type AdminServer } from './admin.ts';
import { limitBody } from './body-limit.ts';
import { requestIdFrom } from './headers.ts';
import { startKeySync, type KeySync } from './key-sync.ts';
import { applyLimits, createConnectionCap, DEFAULT_LIMITS, serverOptions, type RouterLimits } from './limits.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { HSTS_VALUE, sendHttpsRedirect } from './redirect.ts';
import { originForm } from './resolve.ts';
import type { RouteLookup } from './route-table.ts';
import { contextOptions, createSniStore, parseCertBundle, type SniStore } from './tls.ts';
import type { TrustCheck } from './trusted-proxies.ts';

export interface TlsListenerOptions {
  port: number;
  /** Default: the HTTP listener's address. */
  bind?: string;
  /** Served when no uploaded certificate matches the SNI name (normally *.<domain>). */
  defaultCert: PemPair;
  /** Port in https:// redirects when it differs from the one listened on (port mapping). */
  publicPort?: number;
  /** 48 bytes shared by all workers so TLS sessions resume on any of them. */
  ticketKeys?: Buffer;
}

export interface EdgeOptions {
  /** HTTPS listener with SNI; absent: plain HTTP only. */
  tls?: TlsListenerOptions;
  limits?: Partial<RouterLimits>;
  /** Admin listener with /metrics; absent: none (a cluster's primary serves it). */
  admin?: AdminOptions;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface Edge {
  metrics: Metrics;
  limits: RouterLimits;
  /** Options for the HTTP server (client timeouts). */
  serverOptions: http.ServerOptions;
  /** The user's onAccess plus metrics. */
  onAccess: OnAccess;
  /** The request handler of a listener: edge rules, then the web handler. */
  handler(web: Handler, secure: boolean): Handler;
  /** Starts what comes after the HTTP listener: certificate sync, HTTPS listener, admin listener. */
  start(deps: {
    redis: Redis; http: http.Server; web: Handler; upgrade: UpgradeHandler; bind: string; reusePort?: boolean;
    /** Puts the fast path (fast-path.ts) in front of the HTTPS listener. */
    fastPath?: (server: https.Server) => void;
  }): Promise<void>;
  httpsServer(): https.Server | null;
  httpsPort(): number | null;
  /** Stops taking connections on the HTTPS listener; from now on every response closes its connection. */
  beginDrain(): void;
  draining(): boolean;
  adminPort(): number | null;
  close(): Promise<void>;
}

export function createEdge(opts: EdgeOptions & {
  prefix: string;
  lookup: () => RouteLookup;
  onAccess?: OnAccess;
  log: (line: string) => void;
  /** Last-known certificate bundle, served until Redis gives a newer one. */
  seedCerts?: CertBundle;
  /** Called with each certificate bundle swapped in. */
  onCerts?: (bundle: CertBundle) => void;
  /** Trusted proxies are exempt from the per-address connection cap. */
  trusted?: TrustCheck;
}): Edge {
  const { log } = opts;
  const limits: RouterLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const metrics = createMetrics();
  const onAccess: OnAccess = (entry) => {
    metrics.record(entry);
    opts.onAccess?.(entry);
  };
  let redis: Redis | null = null;
  let httpsServer: https.Server | null = null;
  let httpsPort: number | null = null;
  let admin: AdminServer | null = null;
  let certSync: KeySync | null = null;
  let sni: SniStore | null = null;
  let draining = false;

  const report = (req: http.IncomingMessage, app: string | null, status: number, bytes: number, requestId: string, startedAt: number): void => {
    const entry: AccessEntry = {
      app, dyno: null, method: req.method ?? '', path: req.url ?? '', status, bytes, durationMs: elapsedMs(startedAt), requestId,
      ...requestFacts(req, (req.socket as Socket | null) !== null && (opts.trusted?.(req.socket) ?? false)),
    };
    reportAccess(onAccess, entry, log);
  };

  let refusedLogged = 0;
  const cap = createConnectionCap(limits, (why) => {
    if (Date.now() - refusedLogged < 10_000) return;
    refusedLogged = Date.now();
    log(`refusing connections: ${why}`);
  });
  const track = (server: http.Server, listener: string): void => {
    // Raw TCP connections, before any TLS handshake: a flood is cut before it costs more.
    server.on('connection', (socket: Socket) => {
      if (!cap.admit(socket, opts.trusted?.(socket) ?? false)) socket.destroy();
    });
    server.on(listener === 'https' ? 'secureConnection' : 'connection', (socket: Socket) => {
      metrics.connectionOpened(listener);
      socket.once('close', () => metrics.connectionClosed(listener));
    });
  };

  return {
    metrics,
    limits,
    serverOptions: serverOptions(limits),
    onAccess,
    handler(web, secure) {
      return (req, res) => {
        if (draining) res.shouldKeepAlive = false; // the client reconnects, to another worker
        if (!secure && redis !== null && isAcmeChallenge(req.url)) {
          const startedAt = performance.now();
          const id = requestIdFrom(req.headers['x-request-id']);
          void answerAcmeChallenge(redis, opts.prefix, req, res).then((status) => report(req, null, status, 0, id, startedAt));
          return;
        }
        originForm(req);
        const route = httpsPort === null ? null : opts.lookup().find(req.headers.host ?? '');
        if (route !== null) {
          if (!secure && route.redirectHttps === true && httpsPort !== null) {
            const startedAt = performance.now();
            const id = requestIdFrom(req.headers['x-request-id']);
            const bytes = sendHttpsRedirect(req, res, opts.tls?.publicPort ?? httpsPort, id);
            report(req, route.app, 308, bytes, id, startedAt);
            return;
          }
          if (secure && route.hsts === true) res.setHeader('strict-transport-security', HSTS_VALUE);
        }
        if (limits.maxBodyBytes > 0 && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) {
          const startedAt = performance.now();
          const id = requestIdFrom(req.headers['x-request-id']);
          if (id !== req.headers['x-request-id']) req.headers['x-request-id'] = id; // the web handler then keeps it
          const check = limitBody(req, res, limits.maxBodyBytes, id, () => log(`${route?.app ?? '-'}: request body over ${limits.maxBodyBytes} bytes refused (request ${id})`));
          if (check === 'too-large') {
            report(req, (route ?? opts.lookup().find(req.headers.host ?? ''))?.app ?? null, 413, 0, id, startedAt);
            return;
          }
        }
        web(req, res);
      };
    },
    async start(deps) {
      redis = deps.redis;
      applyLimits(deps.http, limits);
      track(deps.http, 'http');
      if (opts.admin) {
        admin = await startAdminServer({ ...opts.admin, snapshot: async () => metrics.snapshot(), log });
      }
      if (!opts.tls) return;
      const tlsOpts = opts.tls;
      sni = createSniStore({ defaultCert: tlsOpts.defaultCert, ticketKeys: tlsOpts.ticketKeys, log });
      const store = sni;
      const applyCerts = (bundle: CertBundle): void => {
        const before = store.version();
        store.apply(bundle);
        if (store.version() !== before) opts.onCerts?.(bundle);
      };
      if (opts.seedCerts) applyCerts(opts.seedCerts);
      certSync = startKeySync({
        redis: deps.redis, key: certBundleKey(opts.prefix), channel: certChannel(opts.prefix), what: 'certificate bundle', parse: parseCertBundle, apply: applyCerts, log,
      });
      if (!opts.seedCerts) await certSync.started;
      const server = https.createServer({
        ...serverOptions(limits),
        ...contextOptions(tlsOpts.defaultCert, tlsOpts.ticketKeys),
        requireHostHeader: false,
        SNICallback: store.SNICallback,
        ALPNProtocols: ['http/1.1'],
      }, this.handler(deps.web, true));
      server.on('upgrade', deps.upgrade);
      deps.fastPath?.(server);
      server.on('tlsClientError', (_err, socket) => {
        metrics.tlsHandshakeError();
        socket.destroy();
      });
      applyLimits(server, limits);
      track(server, 'https');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: tlsOpts.port, host: tlsOpts.bind ?? deps.bind, reusePort: deps.reusePort === true }, () => { server.off('error', reject); resolve(); });
      });
      server.on('error', (err) => log(`https server: ${err.message}`));
      httpsServer = server;
      httpsPort = (server.address() as AddressInfo).port;
    },
    draining: () => draining,
    httpsServer: () => httpsServer,
    httpsPort: () => httpsPort,
    beginDrain() {
      draining = true;
      // net's close, not http's: that one would also cut idle keep-alive connections, racing
      // requests a client is sending on them right now.
      if (httpsServer?.listening) net.Server.prototype.close.call(httpsServer);
    },
    adminPort: () => admin?.port ?? null,
    async close() {
      certSync?.close();
      const closing: Promise<unknown>[] = [];
      if (httpsServer) {
        const server = httpsServer;
        closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
        server.closeAllConnections();
      }
      if (admin) closing.push(admin.close());
      await Promise.all(closing);
    },
  };
}
