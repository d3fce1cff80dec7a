// Plain HTTP requests: route by Host, proxy to a backend round-robin, retry an idempotent
// request once on another backend when the connection fails, time out the first byte.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { AppRoute, Backend } from '../common/routes.ts';
import { elapsedMs, reportAccess, type OnAccess } from './access.ts';
import type { InFlight } from './inflight.ts';
import { sendPage, type PageKind } from './error-pages.ts';
import { addForwardHeaders, appendVia, clientWantsClose, requestIdFrom, stripHopByHop } from './headers.ts';
import { declaredBodyLength, readBody } from './request-body.ts';
import { originForm, resolve } from './resolve.ts';
import type { Balancer, RouteLookup } from './route-table.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Connection failures after which the backend cannot have acted on a request. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
/** Bodies up to this size are buffered so the request can be replayed. */
const MAX_REPLAY_BODY = 256 * 1024;

export interface WebHandlerOptions {
  proxy: ProxyServer;
  lookup: () => RouteLookup;
  balancer: Balancer;
  /** Time the backend has to send response headers. */
  upstreamTimeoutMs: number;
  onAccess?: OnAccess;
  log: (line: string) => void;
  /** Requests in flight per backend (for draining); counted from pick to finish. */
  inflight?: InFlight;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  startedAt: number;
  route: AppRoute | null;
  backend: Backend | null;
  /** The backend this exchange is counted in flight on. */
  counted: Backend | null;
  /** Body to replay on a retry; null when the request must not be retried. */
  replay: Buffer | null;
  attempt: number;
  retried: boolean;
  proxyReq: ClientRequest | null;
  timer: NodeJS.Timeout | undefined;
  /** The router answered itself (error page); later upstream events are ignored. */
  answered: boolean;
  wantsClose: boolean;
  bytes: number;
}

export function createWebHandler(opts: WebHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { proxy, balancer, log } = opts;
  const exchanges = new WeakMap<IncomingMessage, Exchange>();

  proxy.on('proxyReq', (proxyReq, req) => {
    const ex = exchanges.get(req);
    if (!ex) return;
    if (ex.answered) proxyReq.destroy();
    else ex.proxyReq = proxyReq;
  });

  proxy.on('proxyRes', (proxyRes, req) => {
    const ex = exchanges.get(req);
    if (!ex) return;
    clearTimeout(ex.timer);
    const headers = proxyRes.headers;
    stripHopByHop(headers);
    delete headers['proxy-authenticate'];
    headers.via = appendVia(headers.via);
    if (req.httpVersion !== '1.0') headers.connection = ex.wantsClose ? 'close' : 'keep-alive';
    proxyRes.on('data', (chunk: Buffer) => { ex.bytes += chunk.length; });
  });

  const answer = (ex: Exchange, page: PageKind): void => {
    ex.answered = true;
    clearTimeout(ex.timer);
    ex.bytes = sendPage(ex.res, page, ex.requestId);
  };

  /** Moves the exchange's in-flight count to `backend` (null: done). */
  const hold = (ex: Exchange, backend: Backend | null): void => {
    if (ex.counted === backend) return;
    if (ex.counted) opts.inflight?.release(ex.counted);
    if (backend) opts.inflight?.acquire(backend);
    ex.counted = backend;
  };

  const send = (ex: Exchange, backend: Backend): void => {
    hold(ex, backend);
    const attempt = ++ex.attempt;
    ex.backend = backend;
    ex.proxyReq = null;
    clearTimeout(ex.timer);
    ex.timer = setTimeout(() => {
      log(`${ex.route?.app}: ${backend.dyno} sent no response within ${opts.upstreamTimeoutMs} ms (request ${ex.requestId})`);
      answer(ex, 'gateway-timeout');
      ex.proxyReq?.destroy();
    }, opts.upstreamTimeoutMs);
    const buffer = ex.replay === null ? undefined : Readable.from(ex.replay.length ? [ex.replay] : []);
    proxy.web(ex.req, ex.res, { target: { protocol: 'http:', host: backend.host, port: backend.port }, buffer },
      (err) => failed(ex, attempt, err as NodeJS.ErrnoException));
  };

  const failed = (ex: Exchange, attempt: number, err: NodeJS.ErrnoException): void => {
    if (attempt !== ex.attempt || ex.answered || ex.res.writableEnded || ex.res.destroyed) return;
    clearTimeout(ex.timer);
    if (ex.res.headersSent) {
      ex.res.destroy();
      return;
    }
    // The app's route as of now: a retry never goes to a backend that left the table meanwhile.
    const route = opts.lookup().app(ex.route!.app) ?? ex.route!;
    const failedBackend = ex.backend!;
    // A stale keep-alive socket may be reset by a healthy backend: that one may be retried too.
    const staleSocket = err.code === 'ECONNRESET' && ex.proxyReq?.reusedSocket === true;
    if (CONNECT_FAILURES.has(err.code ?? '') && !staleSocket) balancer.eject(failedBackend);
    if (ex.replay !== null && !ex.retried && CONNECT_FAILURES.has(err.code ?? '')) {
      const next = balancer.pickOther(route, failedBackend) ?? (staleSocket ? failedBackend : null);
      if (next !== null) {
        ex.retried = true;
        log(`${route.app}: ${failedBackend.dyno} failed (${err.code}), retrying on ${next.dyno} (request ${ex.requestId})`);
        send(ex, next);
        return;
      }
    }
    log(`${route.app}: ${failedBackend.dyno} failed (${err.code ?? err.message}) (request ${ex.requestId})`);
    answer(ex, 'bad-gateway');
  };

  const finish = (ex: Exchange): void => {
    clearTimeout(ex.timer);
    hold(ex, null);
    const { req, res } = ex;
    reportAccess(opts.onAccess, {
      app: ex.route?.app ?? null,
      dyno: ex.backend?.dyno ?? null,
      method: req.method ?? '',
      path: req.url ?? '',
      status: res.headersSent ? res.statusCode : 499,
      bytes: ex.bytes,
      durationMs: elapsedMs(ex.startedAt),
      requestId: ex.requestId,
    }, log);
  };

  return (req, res) => {
    const arrivedAt = Date.now();
    const ex: Exchange = {
      req, res, requestId: requestIdFrom(req.headers['x-request-id']), startedAt: performance.now(),
      route: null, backend: null, counted: null, replay: null, attempt: 0, retried: false, proxyReq: null,
      timer: undefined, answered: false, wantsClose: false, bytes: 0,
    };
    exchanges.set(req, ex);
    res.setHeader('x-request-id', ex.requestId);
    res.once('close', () => finish(ex));

    originForm(req);
    const host = req.headers.host;
    const target = resolve(opts.lookup(), balancer, host);
    ex.route = target.route;
    if (target.kind === 'page') return answer(ex, target.page);
    hold(ex, target.backend); // in flight from now on, even while its body is read

    ex.wantsClose = clientWantsClose(req.httpVersion, req.headers.connection);
    stripHopByHop(req.headers);
    delete req.headers.expect; // Node already answered "100 Continue" to the client
    addForwardHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, host: host!, requestId: ex.requestId, startedAt: arrivedAt,
      secure: 'encrypted' in req.socket });

    const length = declaredBodyLength(req);
    const replayable = IDEMPOTENT.has(req.method ?? '') && length !== null
      && (length === 0 || (length <= MAX_REPLAY_BODY && target.route.backends.length > 1));
    if (!replayable || length === 0) {
      ex.replay = replayable ? Buffer.alloc(0) : null;
      return send(ex, target.backend);
    }
    readBody(req).then((body) => {
      if (res.destroyed) return;
      ex.replay = body;
      send(ex, target.backend);
    }, () => res.destroy());
  };
}
