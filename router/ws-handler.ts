// WebSocket upgrades: same Host routing as plain requests, then the two sockets are joined.
// Every socket taken over here is tracked so the router can close them all on shutdown.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { AppRoute, Backend } from '../common/routes.ts';
import type { RouterErrorCode } from '../common/app-log.ts';
import { elapsedMs, reportAccess, requestFacts, type AccessEntry, type OnAccess } from './access.ts';
import { pageCode, pageStatus, writeRawPage, type PageKind } from './error-pages.ts';
import { addForwardHeaders, requestIdFrom, stripHopByHop } from './headers.ts';
import { originForm, resolve } from './resolve.ts';
import type { Balancer, RouteLookup } from './route-table.ts';
import type { TrustCheck } from './trusted-proxies.ts';

export interface UpgradeHandlerOptions {
  proxy: ProxyServer;
  lookup: () => RouteLookup;
  balancer: Balancer;
  onAccess?: OnAccess;
  log: (line: string) => void;
  /** Whether the peer is a trusted proxy (its X-Forwarded-* are kept); default: nobody is. */
  trusted?: TrustCheck;
  /** An upgraded connection silent both ways for this long is closed (0: never). */
  idleTimeoutMs?: number;
}

export interface UpgradeHandler {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Destroys every upgraded connection, client and backend side. */
  close(): void;
}

interface Upgrade {
  req: IncomingMessage;
  requestId: string;
  startedAt: number;
  route: AppRoute | null;
  backend: Backend | null;
  reported: boolean;
  upgraded: boolean;
  /** Host, client address and protocol, taken before the forward headers are added. */
  facts: Pick<AccessEntry, 'host' | 'fwd' | 'protocol'>;
}

export function createUpgradeHandler(opts: UpgradeHandlerOptions): UpgradeHandler {
  const { proxy, balancer, log } = opts;
  const sockets = new Set<Duplex>();
  const upgrades = new WeakMap<IncomingMessage, Upgrade>();
  const track = (socket: Duplex): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const report = (up: Upgrade, status: number, code?: RouterErrorCode): void => {
    if (up.reported) return;
    up.reported = true;
    reportAccess(opts.onAccess, {
      app: up.route?.app ?? null,
      dyno: up.backend?.dyno ?? null,
      method: up.req.method ?? '',
      path: up.req.url ?? '',
      status,
      bytes: 0,
      durationMs: elapsedMs(up.startedAt),
      requestId: up.requestId,
      ...up.facts,
      ...(code === undefined ? {} : { code }),
    }, log);
  };

  const refuse = (up: Upgrade, socket: Duplex, page: PageKind, code = pageCode(page)): void => {
    writeRawPage(socket, page, up.requestId);
    report(up, pageStatus(page), code);
  };

  proxy.on('proxyReqWs', (proxyReq, req, clientSocket) => {
    const up = upgrades.get(req);
    if (!up) return;
    proxyReq.on('upgrade', (_res, backendSocket: Socket) => {
      up.upgraded = true;
      track(backendSocket);
      report(up, 101);
      // The client socket's timer restarts on traffic either way (what it reads and what the
      // app sends to it): a silent websocket cannot hold two sockets forever.
      const idleMs = opts.idleTimeoutMs ?? 0;
      if (idleMs > 0) {
        clientSocket.setTimeout(idleMs, () => {
          log(`${up.route?.app ?? '-'}: websocket idle for ${idleMs} ms, closed (request ${up.requestId})`);
          clientSocket.destroy();
          backendSocket.destroy();
        });
      }
    });
    proxyReq.on('response', (res) => report(up, res.statusCode ?? 502));
  });

  return {
    handle(req, socket, head) {
      track(socket);
      socket.on('error', () => socket.destroy());
      const arrivedAt = Date.now();
      const up: Upgrade = {
        req, requestId: requestIdFrom(req.headers['x-request-id']), startedAt: performance.now(),
        route: null, backend: null, reported: false, upgraded: false, facts: requestFacts(req, opts.trusted?.(req.socket) ?? false),
      };
      socket.once('close', () => report(up, 499, 'H27'));

      originForm(req);
      const host = req.headers.host;
      if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') return refuse(up, socket, 'bad-request');
      const target = resolve(opts.lookup(), balancer, host);
      up.route = target.route;
      if (target.kind === 'page') return refuse(up, socket, target.page);
      up.backend = target.backend;

      stripHopByHop(req.headers, ['upgrade']);
      req.headers.connection = 'Upgrade';
      addForwardHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, host: host!, requestId: up.requestId, startedAt: arrivedAt,
        secure: 'encrypted' in req.socket, trusted: opts.trusted?.(req.socket) ?? false });
      upgrades.set(req, up);
      const backend = target.backend;
      proxy.ws(req, socket, head, { target: { protocol: 'http:', host: backend.host, port: backend.port }, agent: false }, (err) => {
        const code = (err as NodeJS.ErrnoException).code ?? err.message;
        log(`${target.route.app}: websocket to ${backend.dyno} failed (${code}) (request ${up.requestId})`);
        if (!up.upgraded) refuse(up, socket, 'bad-gateway', code === 'ECONNREFUSED' ? 'H10' : 'H13');
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}
