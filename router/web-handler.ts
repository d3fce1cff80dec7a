// Plain HTTP requests: route by Host, proxy to a backend over a pooled keep-alive connection
// (upstreams.ts), retry an idempotent request once when the connection fails before any
// response, 504 when the app sends no response headers in time.
// One Exchange object per request is both its state and the upstream handler: no closures or
// header copies beyond the two header lists the exchange needs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { backendKey } from '../common/route-acks.ts';
import type { AppRoute, Backend } from '../common/routes.ts';
import type { RouterErrorCode } from '../common/app-log.ts';
import { elapsedMs, reportAccess, requestFacts, type AccessEntry, type OnAccess } from './access.ts';
import type { InFlight } from './inflight.ts';
import { pageCode, sendPage, type PageKind } from './error-pages.ts';
import type { FastHead } from './fast-head.ts';
import { downstreamHeaders, forwardedFor, forwardLines, NO_CLAIMS, requestIdFrom, upstreamHeaders, type ForwardInfo, type HeaderList } from './headers.ts';
import { declaredBodyLength, readBody } from './request-body.ts';
import { originForm, resolve } from './resolve.ts';
import type { Balancer, RouteLookup } from './route-table.ts';
import type { TrustCheck } from './trusted-proxies.ts';
import type { ResponseHead } from './response-parser.ts';
import type { UpstreamControl, UpstreamHandler, Upstreams } from './upstreams.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Connecting failed: the backend never saw the request, so any request whose body is at hand
 *  (none, or kept in memory), POST included, goes to another backend. The failed one is left
 *  out of picks for a moment. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'UPSTREAM_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** The connection broke before any response, typically a keep-alive connection the app had just
 *  closed: an idempotent request may be retried, on the same backend if it is the only one. */
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UPSTREAM_SOCKET']);
/** Bodies up to this size are buffered (when there is another backend) so the request can be sent again. */
const MAX_REPLAY_BODY = 256 * 1024;
/** Most backends one request tries when connections fail (each refusal ejects that backend). */
const MAX_CONNECT_ATTEMPTS = 4;

export interface WebHandlerOptions {
  upstreams: Upstreams;
  lookup: () => RouteLookup;
  balancer: Balancer;
  /** Time the backend has to send response headers (enforced by the upstream pools; for messages). */
  upstreamTimeoutMs: number;
  onAccess?: OnAccess;
  log: (line: string) => void;
  /** Requests in flight per backend (for draining); counted from pick to finish. */
  inflight?: InFlight;
  /** Whether the peer is a trusted proxy (its X-Forwarded-* are kept); default: nobody is. */
  trusted?: TrustCheck;
}

/** Whether the body is kept in memory (or there is none), so the request can be sent again: a
 *  body small enough to keep, with another backend to go to. */
function keepsBody(bodyLength: number | null, route: AppRoute): boolean {
  return bodyLength !== null && (bodyLength === 0 || (bodyLength <= MAX_REPLAY_BODY && route.backends.length > 1));
}

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createWebHandler(opts: WebHandlerOptions): WebHandler & { proxy: WebProxy } {
  const proxy = new WebProxy(opts);
  return Object.assign((req: IncomingMessage, res: ServerResponse) => proxy.handle(req, res), { proxy });
}

export class WebProxy {
  readonly opts: WebHandlerOptions;
  /** "host:port" of each backend object of the tables in use: made once, not per request. */
  private readonly keys = new WeakMap<Backend, string>();

  constructor(opts: WebHandlerOptions) {
    this.opts = opts;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const arrivedAt = Date.now();
    originForm(req);
    const ex = new NodeExchange(this, req, res, requestIdFrom(req.headers['x-request-id']));
    const trusted = this.opts.trusted?.(req.socket) ?? false;
    res.once('close', () => this.finish(ex));

    const host = req.headers.host;
    const target = resolve(this.opts.lookup(), this.opts.balancer, host);
    ex.route = target.route;
    ex.facts = requestFacts(req, trusted); // now: a finished request's socket may be gone
    if (target.kind === 'page') return this.answer(ex, target.page);
    this.hold(ex, this.keyOf(target.backend)); // in flight from now on, even while its body is read

    ex.headers = upstreamHeaders(req.headers, {
      remoteAddress: req.socket.remoteAddress, host: host!, requestId: ex.requestId, startedAt: arrivedAt, secure: 'encrypted' in req.socket,
      trusted,
    });
    const length = declaredBodyLength(req);
    ex.bodyLength = length;
    const kept = keepsBody(length, target.route);
    ex.replayable = IDEMPOTENT.has(ex.method) && kept;
    if (length === 0 || !kept) {
      ex.body = length === 0 ? null : req; // a body that is not kept streams through
      return this.send(ex, target.backend);
    }
    readBody(req).then((body) => {
      if (ex.done) return;
      ex.body = body;
      this.send(ex, target.backend);
    }, () => res.destroy());
  }

  /** A request the fast path (fast-path.ts) read itself, body and all, routed to `backend` of `route`:
   *  the client's header lines pass on as they came, then the router's own. */
  proxyRaw(ex: ProxyExchange, head: Pick<FastHead, 'lines' | 'claims'>, body: Buffer | null, route: AppRoute, backend: Backend, info: ForwardInfo): void {
    ex.route = route;
    ex.facts = { host: info.host, fwd: forwardedFor(info.remoteAddress, head.claims ?? NO_CLAIMS, info.trusted === true), protocol: info.secure ? 'https' : 'http' };
    ex.headers = head.lines + forwardLines(head.claims, info);
    ex.body = body;
    ex.bodyLength = body === null ? 0 : body.length;
    ex.replayable = IDEMPOTENT.has(ex.method);
    this.send(ex, backend);
  }

  send(ex: ProxyExchange, backend: Backend): void {
    const key = this.keyOf(backend);
    this.hold(ex, key);
    ex.backend = backend;
    ex.dispatchedAt = performance.now();
    ex.connectedAt = 0;
    // Errors, even synchronous ones, arrive through ex.onResponseError.
    this.opts.upstreams.pool(key).dispatch({
      method: ex.method, path: ex.url, headers: ex.headers, body: ex.body, bodyLength: ex.bodyLength,
    }, ex);
  }

  keyOf(backend: Backend): string {
    let key = this.keys.get(backend);
    if (key === undefined) {
      key = backendKey(backend);
      this.keys.set(backend, key);
    }
    return key;
  }

  failed(ex: ProxyExchange, err: NodeJS.ErrnoException): void {
    if (ex.done || ex.over()) return;
    if (ex.headersSent()) {
      ex.code = 'H18';
      ex.cut(); // the response was under way: its status is out, so cut it
      return;
    }
    const { log, balancer } = this.opts;
    const failedBackend = ex.backend!;
    const app = ex.route!.app;
    const code = err.code ?? '';
    if (code === 'UPSTREAM_HEADERS_TIMEOUT') {
      log(`${app}: ${failedBackend.dyno} sent no response within ${this.opts.upstreamTimeoutMs} ms (request ${ex.requestId})`);
      return this.answer(ex, 'gateway-timeout');
    }
    const connectFailed = CONNECT_FAILURES.has(code);
    // H19 the dyno could not be reached in time; H10 nothing listens (crashed, or not up yet);
    // H13 the connection closed before any response.
    const herokuCode: RouterErrorCode = code === 'UPSTREAM_CONNECT_TIMEOUT' ? 'H19' : connectFailed ? 'H10' : 'H13';
    const tried = (ex.tried ??= []);
    tried.push(failedBackend);
    // The app's route as of now: a retry never goes to a backend that left the table meanwhile.
    const route = this.opts.lookup().app(app) ?? ex.route!;
    let next: Backend | null = null;
    if (connectFailed) {
      balancer.eject(failedBackend);
      // Not sent: any method, on backends not tried yet (so several dead ones are stepped over).
      if (ex.body === null || Buffer.isBuffer(ex.body)) {
        const left = route.backends.filter((b) => !tried.some((t) => t.host === b.host && t.port === b.port));
        if (left.length > 0 && tried.length < MAX_CONNECT_ATTEMPTS) next = balancer.pick({ ...route, backends: left });
      }
    } else if (ex.replayable && !ex.retried && RESETS.has(code)) {
      // Perhaps seen by the app: only an idempotent request, and once.
      next = balancer.pickOther(route, failedBackend) ?? failedBackend;
      ex.retried = true;
    }
    if (next !== null) {
      log(`${app}: ${failedBackend.dyno} failed (${code}), retrying on ${next.dyno} (request ${ex.requestId})`);
      return this.send(ex, next);
    }
    log(`${app}: ${failedBackend.dyno} failed (${code || err.message}) (request ${ex.requestId})`);
    this.answer(ex, 'bad-gateway', herokuCode);
  }

  answer(ex: ProxyExchange, page: PageKind, code = pageCode(page)): void {
    ex.code = code;
    ex.bytes = ex.page(page);
  }

  /** Moves the exchange's in-flight count to backend `key` (null: done). */
  hold(ex: ProxyExchange, key: string | null): void {
    if (ex.counted === key) return;
    const { inflight } = this.opts;
    if (ex.counted !== null) inflight?.release(ex.counted);
    if (key !== null) inflight?.acquire(key);
    ex.counted = key;
  }

  /** The client's side is over (response sent, or the client left): stop upstream, report. */
  finish(ex: ProxyExchange): void {
    ex.done = true;
    this.hold(ex, null);
    const upstream = ex.controller;
    if (upstream !== null) {
      ex.controller = null;
      upstream.abort();
    }
    const { onAccess } = this.opts;
    if (onAccess === undefined) return;
    const sent = ex.headersSent();
    const { facts } = ex;
    // One object of one shape per request (no spreads): the hot path of every proxied request.
    reportAccess(onAccess, {
      app: ex.route?.app ?? null,
      dyno: ex.backend?.dyno ?? null,
      method: ex.method,
      path: ex.url,
      status: sent ? ex.status() : 499,
      bytes: ex.bytes,
      durationMs: elapsedMs(ex.startedAt),
      requestId: ex.requestId,
      host: facts.host,
      fwd: facts.fwd,
      protocol: facts.protocol,
      connectMs: ex.connectedAt > 0 ? Math.round(ex.connectedAt - ex.dispatchedAt) : 0,
      code: sent ? ex.code : 'H27',
    }, this.opts.log);
  }
}

/** One proxied request: its state, and the handler of its upstream exchange. The client side
 *  is node:http's (NodeExchange) or the fast path's raw socket (fast-path.ts). */
export abstract class ProxyExchange implements UpstreamHandler {
  readonly proxy: WebProxy;
  readonly method: string;
  readonly url: string;
  readonly requestId: string;
  readonly startedAt = performance.now();
  route: AppRoute | null = null;
  backend: Backend | null = null;
  /** The backend ("host:port") this exchange is counted in flight on. */
  counted: string | null = null;
  /** The request headers the app gets: a list, or header lines ready to send (the fast path's). */
  headers: HeaderList | string = [];
  /** What goes upstream: nothing, the buffered body (it can be sent again), or the client's stream. */
  body: Buffer | IncomingMessage | null = null;
  /** The client's declared body length (null: chunked). */
  bodyLength: number | null = 0;
  /** Idempotent: may be sent again after a connection broke before any response. */
  replayable = false;
  retried = false;
  /** Backends that failed this request (null: none). */
  tried: Backend[] | null = null;
  /** The upstream request while it runs. */
  controller: UpstreamControl | null = null;
  /** The client side is over; upstream events are ignored. */
  done = false;
  bytes = 0;
  /** When the upstream request was dispatched, and when it got a connection (onRequestStart). */
  dispatchedAt = 0;
  connectedAt = 0;
  /** The router's verdict (error-pages.ts, H18 for a cut response), logged Heroku-style. */
  code: RouterErrorCode | undefined = undefined;
  facts: Pick<AccessEntry, 'host' | 'fwd' | 'protocol'> = {};

  constructor(proxy: WebProxy, method: string, url: string, requestId: string) {
    this.proxy = proxy;
    this.method = method;
    this.url = url;
    this.requestId = requestId;
  }

  /** The response status line is out (or handed to the socket). */
  abstract headersSent(): boolean;
  /** The response status sent. */
  abstract status(): number;
  /** The client side can take nothing more (ended, or destroyed). */
  abstract over(): boolean;
  /** Cuts the client connection (a response under way cannot be finished). */
  abstract cut(): void;
  /** Answers with one of the router's pages; returns the body bytes sent. */
  abstract page(kind: PageKind): number;

  abstract onResponseStart(controller: UpstreamControl, head: ResponseHead): void;
  abstract onResponseData(controller: UpstreamControl, chunk: Buffer, release: () => void): void;
  abstract onResponseEnd(): void;
  abstract onReadDone(): void;

  onRequestStart(controller: UpstreamControl): void {
    this.connectedAt = performance.now();
    if (this.done) controller.abort();
    else this.controller = controller;
  }

  onResponseError(err: NodeJS.ErrnoException): void {
    this.controller = null;
    this.proxy.failed(this, err);
  }
}

/** A request node:http parsed, answered through its ServerResponse. */
class NodeExchange extends ProxyExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Body bytes (or the end) of the response were handed to Node, which sends the head with them. */
  bodyStarted = false;
  /** writeHead was called; the head is flushed at the end of the read unless body bytes took it along. */
  headPending = false;
  private resumeUpstream: (() => void) | null = null;

  constructor(proxy: WebProxy, req: IncomingMessage, res: ServerResponse, requestId: string) {
    super(proxy, req.method ?? 'GET', req.url ?? '/', requestId);
    this.req = req;
    this.res = res;
  }

  headersSent(): boolean {
    return this.res.headersSent;
  }

  status(): number {
    return this.res.statusCode;
  }

  over(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  cut(): void {
    this.res.destroy();
  }

  page(kind: PageKind): number {
    return sendPage(this.res, kind, this.requestId);
  }

  onResponseStart(controller: UpstreamControl, head: ResponseHead): void {
    const { res } = this;
    if (this.done || res.headersSent) { // e.g. a 413 page went out while the body streamed
      controller.abort();
      return;
    }
    try {
      res.writeHead(head.status, head.reason || undefined, downstreamHeaders(head.headers, this.requestId));
    } catch (err) { // a status line or header Node refuses to send
      controller.abort();
      this.onResponseError(err as NodeJS.ErrnoException);
      return;
    }
    this.headPending = true;
  }

  /** Node sends the head with the first body bytes; if none came with it (an event stream, a
   *  slow body), it goes out alone so the client is not kept waiting for it. */
  onReadDone(): void {
    if (!this.headPending) return;
    this.headPending = false;
    if (!this.bodyStarted && !this.done && !this.res.destroyed) this.res.flushHeaders();
  }

  onResponseData(controller: UpstreamControl, chunk: Buffer, release: () => void): void {
    this.bytes += chunk.length;
    this.bodyStarted = true;
    if (!this.res.write(chunk, release)) {
      controller.pause();
      this.res.once('drain', this.resumeUpstream ??= () => this.controller?.resume());
    }
  }

  onResponseEnd(): void {
    this.controller = null;
    this.bodyStarted = true;
    this.res.end();
  }
}
