// The router's fast path: a listener's connections are read here first, and the common request
// (fast-head.ts: a strict HTTP/1.1 subset, any body read whole with the head, routed to an
// app's backend) is proxied straight from the raw socket, its response head written as one
// string, without node:http's request and response objects. Anything else hands the connection over to node:http as it is
// (the bytes read so far put back first), which then serves that request and the rest of the
// connection: ACME, redirects, pages, streamed or chunked bodies, upgrades, HTTP/1.0, partial
// heads (so the headers timeout is Node's), and every malformed or ambiguous head.
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import { isAcmeChallenge } from './acme-challenge.ts';
import { renderPage, type PageKind } from './error-pages.ts';
import { FIELD_VALUE, HEADER_LINES, MAX_FAST_HEAD_BYTES, parseFastHead } from './fast-head.ts';
import { downstreamHeaders, requestIdFrom } from './headers.ts';
import type { RouterLimits } from './limits.ts';
import { HSTS_VALUE } from './redirect.ts';
import type { ResponseHead } from './response-parser.ts';
import type { Balancer, RouteLookup } from './route-table.ts';
import type { TrustCheck } from './trusted-proxies.ts';
import type { UpstreamControl } from './upstreams.ts';
import { ProxyExchange, type WebProxy } from './web-handler.ts';

export interface FastPathOptions {
  /** The listener (http.Server, or https.Server whose 'secureConnection' sockets are read). */
  server: net.Server;
  secure: boolean;
  proxy: WebProxy;
  lookup: () => RouteLookup;
  balancer: Balancer;
  limits: RouterLimits;
  trusted?: TrustCheck;
  /** From now on every response closes its connection. */
  draining: () => boolean;
  /** Plain-HTTP requests of apps that redirect to HTTPS are left to node:http while this is set. */
  httpsPort: () => number | null;
}

export interface FastPath {
  /** Destroys the connections the fast path holds (node:http's are closed by the server). */
  closeAll(): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Largest request body the fast path takes (whole, read with its head); larger ones stream through node:http. */
const MAX_FAST_BODY_BYTES = 64 * 1024;

/**
 * Puts the fast path in front of a listener: node:http's connection listener is replaced by
 * one that reads first and calls node's for the connections it hands over.
 */
export function installFastPath(opts: FastPathOptions): FastPath {
  const event = opts.secure ? 'secureConnection' : 'connection';
  const listeners = opts.server.listeners(event) as Array<(socket: net.Socket) => void>;
  if (listeners.length !== 1) throw new Error(`fast path: expected node:http's ${event} listener alone, found ${listeners.length}`);
  const nodeListener = listeners[0];
  const open = new Set<FastConnection>();
  const ctx: Context = { ...opts, open, keepAliveHead: keepAliveHead(opts.limits.keepAliveTimeoutMs), slow: (socket) => nodeListener.call(opts.server, socket) };
  opts.server.removeListener(event, nodeListener);
  opts.server.on(event, (socket: net.Socket) => {
    if (!socket.destroyed) new FastConnection(ctx, socket);
  });
  return {
    closeAll() {
      for (const conn of open) conn.socket.destroy();
      open.clear();
    },
  };
}

interface Context extends FastPathOptions {
  open: Set<FastConnection>;
  /** "Connection: keep-alive" and the Keep-Alive hint, as node:http sends them. */
  keepAliveHead: string;
  /** node:http's connection listener. */
  slow: (socket: net.Socket) => void;
}

function keepAliveHead(keepAliveTimeoutMs: number): string {
  const seconds = Math.floor(keepAliveTimeoutMs / 1000);
  return seconds > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${seconds}\r\n` : 'Connection: keep-alive\r\n';
}

/** One client connection while the fast path reads it. */
class FastConnection {
  readonly ctx: Context;
  readonly socket: net.Socket;
  /** Bytes read and not yet served (the start of the next request). */
  pending: Buffer | null = null;
  /** The request being answered, if any (one at a time; pipelined ones wait in `pending`). */
  exchange: RawExchange | null = null;
  /** The socket waits longer than the keep-alive timeout: a request is under way. */
  longWait = false;
  /** A request was served: the wait between requests is the keep-alive timeout. */
  served = false;
  private readonly onData = (chunk: Buffer): void => this.read(chunk);
  private readonly onTimeout = (): void => this.timeout();
  private readonly onEnd = (): void => this.ended();
  private readonly onClose = (): void => this.closed();

  constructor(ctx: Context, socket: net.Socket) {
    this.ctx = ctx;
    this.socket = socket;
    ctx.open.add(this);
    // One inactivity timer for the connection: a new connection that sends nothing is closed
    // after the headers timeout, as node:http does; idle between requests, after the
    // keep-alive timeout (with node:http's extra second).
    socket.setTimeout(this.firstWait());
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', noop); // 'close' follows
  }

  /** The wait between requests: node:http's keep-alive timeout, with its extra second. */
  private keepAliveWait(): number {
    return this.ctx.limits.keepAliveTimeoutMs + 1000;
  }

  /** The wait for a new connection's first bytes; the keep-alive wait applies after. */
  private firstWait(): number {
    return Math.min(this.ctx.limits.headersTimeoutMs, this.keepAliveWait());
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.exchange !== null) { // pipelined: served after the response under way
      this.socket.pause();
      return;
    }
    this.next();
  }

  /** Serves the request at the start of `pending`, or hands the connection over. */
  next(): void {
    const buf = this.pending;
    if (buf === null) return;
    if (this.socket.destroyed || this.socket.readableEnded) { // the client is gone, or sends no more: nothing to serve
      this.pending = null;
      return;
    }
    const window = buf.length > MAX_FAST_HEAD_BYTES + 4 ? buf.subarray(0, MAX_FAST_HEAD_BYTES + 4) : buf;
    const end = window.indexOf(CRLFCRLF);
    if (end === -1) return this.handOver(); // a partial head: Node times it, and reads the rest
    const { ctx } = this;
    const trusted = ctx.trusted?.(this.socket) ?? false;
    const head = parseFastHead(buf.toString('latin1', 0, end), trusted);
    if (head === null) return this.handOver();
    if (!ctx.secure && isAcmeChallenge(head.url)) return this.handOver();
    const route = ctx.lookup().find(head.host);
    if (route === null || route.maintenance) return this.handOver();
    if (!ctx.secure && route.redirectHttps === true && ctx.httpsPort() !== null) return this.handOver();
    // A body is served here only when all of it has arrived with the head, and is allowed.
    const bodyEnd = end + 4 + head.length;
    if (head.length > 0 && (bodyEnd > buf.length || head.length > MAX_FAST_BODY_BYTES || (ctx.limits.maxBodyBytes > 0 && head.length > ctx.limits.maxBodyBytes))) {
      return this.handOver();
    }
    const backend = ctx.balancer.pick(route);
    if (backend === null) return this.handOver();
    const body = head.length === 0 ? null : buf.subarray(end + 4, bodyEnd);
    this.pending = bodyEnd === buf.length ? null : buf.subarray(bodyEnd);
    if (this.pending !== null) this.socket.pause();
    const requestId = requestIdFrom(head.requestId);
    const ex = new RawExchange(ctx.proxy, this, head.method, head.url, requestId);
    ex.close = head.close || ctx.draining();
    ex.hsts = ctx.secure && route.hsts === true;
    this.exchange = ex;
    if (!this.served) {
      this.served = true;
      if (this.firstWait() !== this.keepAliveWait()) this.socket.setTimeout(this.keepAliveWait());
    }
    ctx.proxy.proxyRaw(ex, head, body, route, backend, {
      remoteAddress: this.socket.remoteAddress, host: head.host, requestId, startedAt: Date.now(), secure: ctx.secure, trusted,
    });
  }

  /** The exchange's response is written (or abandoned): report it, then the next request. */
  done(ex: RawExchange): void {
    if (this.exchange !== ex) return;
    this.exchange = null;
    this.ctx.proxy.finish(ex);
    if (this.longWait) {
      this.longWait = false;
      this.socket.setTimeout(this.keepAliveWait());
    }
    if (ex.close) {
      this.pending = null;
      this.socket.end();
      return;
    }
    if (this.pending !== null) {
      this.socket.resume();
      this.next();
    }
  }

  /** node:http takes the connection from here, starting with the bytes not served yet. */
  private handOver(): void {
    const { socket } = this;
    this.ctx.open.delete(this);
    socket.removeListener('data', this.onData);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('close', this.onClose);
    socket.removeListener('error', noop);
    socket.pause();
    if (this.pending !== null) socket.unshift(this.pending);
    this.pending = null;
    // Node's parser would read the socket's handle directly (natively), ahead of the bytes put
    // back into the stream: marked as consumed, it reads through the stream, in order.
    const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = true;
    this.ctx.slow(socket);
    socket.resume();
  }

  private timeout(): void {
    if (this.exchange === null) {
      this.socket.destroy();
      return;
    }
    if (!this.longWait) { // a response under way: the idle limit applies (no traffic either way)
      this.longWait = true;
      this.socket.setTimeout(this.ctx.limits.idleTimeoutMs);
      return;
    }
    this.socket.destroy();
  }

  /** The client will send no more: as node:http does, the connection ends now. */
  private ended(): void {
    this.socket.end();
  }

  private closed(): void {
    this.ctx.open.delete(this);
    const ex = this.exchange;
    if (ex !== null) this.done(ex);
  }
}

function noop(): void {}

/** A request the fast path serves: its response goes to the raw socket. */
class RawExchange extends ProxyExchange {
  readonly conn: FastConnection;
  /** The response closes the connection (the client asked, or the router drains). */
  close = false;
  hsts = false;
  statusCode = 0;
  /** The response head, until it goes out with the first body bytes (or alone, at the end of the read). */
  head: string | null = null;
  sent = false;
  chunked = false;
  finished = false;
  private resumeUpstream: (() => void) | null = null;

  constructor(proxy: WebProxy, conn: FastConnection, method: string, url: string, requestId: string) {
    super(proxy, method, url, requestId);
    this.conn = conn;
  }

  headersSent(): boolean {
    return this.sent || this.head !== null;
  }

  status(): number {
    return this.statusCode;
  }

  over(): boolean {
    return this.finished || this.conn.socket.destroyed;
  }

  cut(): void {
    this.finished = true;
    this.conn.socket.destroy();
  }

  page(kind: PageKind): number {
    const page = renderPage(kind, this.requestId);
    this.statusCode = page.status;
    let head = `HTTP/1.1 ${page.status} ${STATUS_CODES[page.status]}\r\n`;
    for (const name in page.headers) head += `${name}: ${page.headers[name]}\r\n`;
    head += `Date: ${utcDate()}\r\n${this.connectionHead()}\r\n`;
    const body = this.method === 'HEAD' ? '' : page.body;
    this.sent = true;
    this.finished = true;
    this.bytes = Buffer.byteLength(body);
    this.conn.socket.write(head + body, 'utf8');
    this.conn.done(this);
    return this.bytes;
  }

  onResponseStart(controller: UpstreamControl, head: ResponseHead): void {
    if (this.done || this.headersSent()) {
      controller.abort();
      return;
    }
    const text = this.responseHead(head);
    if (text === null) { // a status line or header Node would refuse to send
      controller.abort();
      const err: NodeJS.ErrnoException = new Error('the app sent a response header that cannot be passed on');
      err.code = 'ERR_INVALID_CHAR';
      this.onResponseError(err);
      return;
    }
    this.statusCode = head.status;
    this.head = text;
  }

  /** The Connection header line(s): close, or keep-alive with its timeout hint. */
  private connectionHead(): string {
    return this.close ? 'Connection: close\r\n' : this.conn.ctx.keepAliveHead;
  }

  /** The client's response head, or null if a name or value is not valid. */
  private responseHead(head: ResponseHead): string | null {
    const { status, reason } = head;
    if (reason !== '' && !FIELD_VALUE.test(reason)) return null;
    const list = downstreamHeaders(head.headers, this.requestId);
    let text = '';
    let date = false;
    let length = false;
    let hsts = false;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i];
      switch (name.length) {
        case 4: if (name.toLowerCase() === 'date') date = true; break;
        case 14: if (name.toLowerCase() === 'content-length') length = true; break;
        case 25: if (name.toLowerCase() === 'strict-transport-security') hsts = true; break;
      }
      text += `${name}: ${list[i + 1]}\r\n`;
    }
    // Every name and value checked at once (a name holds no colon, a value no CR or LF).
    if (!HEADER_LINES.test(text)) return null;
    const bodyless = this.method === 'HEAD' || status === 204 || status === 304;
    this.chunked = !length && !bodyless;
    let out = `HTTP/1.1 ${status} ${reason || (STATUS_CODES[status] ?? 'unknown')}\r\n`;
    if (this.hsts && !hsts) out += `strict-transport-security: ${HSTS_VALUE}\r\n`;
    out += text;
    if (!date) out += `Date: ${utcDate()}\r\n`;
    out += this.connectionHead();
    if (this.chunked) out += 'Transfer-Encoding: chunked\r\n';
    return `${out}\r\n`;
  }

  onResponseData(controller: UpstreamControl, chunk: Buffer, release: () => void): void {
    if (this.finished) {
      release();
      return;
    }
    this.bytes += chunk.length;
    const { socket } = this.conn;
    const head = this.head;
    let ok: boolean;
    if (head === null && !this.chunked) {
      ok = socket.write(chunk, release);
    } else if (head !== null && !this.chunked && chunk.length <= 16384) { // one write: head and body
      this.head = null;
      this.sent = true;
      const out = Buffer.allocUnsafe(head.length + chunk.length);
      out.write(head, 0, 'latin1');
      chunk.copy(out, head.length);
      release();
      ok = socket.write(out);
    } else {
      socket.cork();
      if (head !== null) {
        this.head = null;
        this.sent = true;
        socket.write(head, 'latin1');
      }
      if (this.chunked) socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      ok = socket.write(chunk, release);
      if (this.chunked) ok = socket.write('\r\n', 'latin1');
      socket.uncork();
    }
    if (!ok) {
      controller.pause();
      socket.once('drain', this.resumeUpstream ??= () => this.controller?.resume());
    }
  }

  /** A head that no body bytes came with (an event stream, a slow body) goes out alone. */
  onReadDone(): void {
    const head = this.head;
    if (head === null || this.finished || this.conn.socket.destroyed) return;
    this.head = null;
    this.sent = true;
    this.conn.socket.write(head, 'latin1');
  }

  onResponseEnd(): void {
    this.controller = null;
    if (this.finished) return;
    let out = this.head ?? '';
    this.head = null;
    this.sent = true;
    if (this.chunked) out += '0\r\n\r\n';
    this.finished = true;
    if (out !== '') this.conn.socket.write(out, 'latin1');
    this.conn.done(this);
  }
}


let dateSecond = -1;
let dateText = '';

/** The Date header's value, made once a second. */
function utcDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
