// Connections to the apps: per backend address ("host:port") a pool of keep-alive HTTP/1.1
// connections, one request at a time on each (no pipelining), as many as requests in flight.
// Our own small client on net sockets: the request head goes out as one string, the response
// is read by response-parser.ts and its body handed on as views of the bytes read. A pool lives
// until its backend has left the route table and nothing is in flight to it.
import net from 'node:net';
import type { Readable } from 'node:stream';
import { headerLines, type HeaderList } from './headers.ts';
import { ResponseParser, type ResponseHead } from './response-parser.ts';

export interface UpstreamOptions {
  /** Time a backend has, once the request is sent, to send response headers (then UPSTREAM_HEADERS_TIMEOUT). */
  headersTimeoutMs: number;
  /** Connecting gives up after this (UPSTREAM_CONNECT_TIMEOUT); default 5 s. */
  connectTimeoutMs?: number;
  /** Idle connections are closed after this, or 1 s before the backend's Keep-Alive timeout; default 4 s. */
  idleTimeoutMs?: number;
}

export interface UpstreamRequest {
  method: string;
  /** Origin-form target, as the client sent it. */
  path: string;
  /** Request headers, without framing headers (Content-Length, Transfer-Encoding) and hop-by-hop
   *  ones: a list, or lines ready to send ("name: value\r\n" each). */
  headers: HeaderList | string;
  /** No body, a buffered one, or the client's stream. */
  body: Buffer | Readable | null;
  /** Length of a streamed body; null: unknown, sent chunked. */
  bodyLength: number | null;
}

/** The exchange's handle on its upstream request. */
export interface UpstreamControl {
  pause(): void;
  resume(): void;
  /** Ends the exchange: the connection is closed, no more handler calls. */
  abort(): void;
}

export interface UpstreamHandler {
  /** A connection is ready and the request is being written. */
  onRequestStart(control: UpstreamControl): void;
  onResponseStart(control: UpstreamControl, head: ResponseHead): void;
  /** A piece of the body. `chunk` is a view of a read buffer that is reused: the handler calls
   *  `release` once it no longer needs the bytes (e.g. as the callback of the write that sends them). */
  onResponseData(control: UpstreamControl, chunk: Buffer, release: () => void): void;
  onResponseEnd(): void;
  /** The exchange failed; `code` tells how (ECONNREFUSED, UPSTREAM_CONNECT_TIMEOUT, UPSTREAM_HEADERS_TIMEOUT,
   *  UPSTREAM_SOCKET for a connection closed before the response ended, UPSTREAM_BAD_RESPONSE, ECONNRESET…). */
  onResponseError(err: NodeJS.ErrnoException): void;
  /** The bytes of one read are all handed on (a response head with no body bytes after it
   *  in that read can go out now). */
  onReadDone(): void;
}

export interface UpstreamPool {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
}

export interface Upstreams {
  /** The pool for a backend address ("host:port"), created on first use. */
  pool(key: string): UpstreamPool;
  /** Closes the pools of addresses not in `live` for which `busy` is false: idle connections now, busy ones when done. */
  prune(live: ReadonlySet<string>, busy: (key: string) => boolean): void;
  /** Closes every pool and destroys every connection. */
  destroy(): Promise<void>;
}

export function createUpstreams(opts: UpstreamOptions): Upstreams {
  const pools = new Map<string, Pool>();
  const settings: Settings = {
    headersTimeoutMs: opts.headersTimeoutMs,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 4000,
  };
  return {
    pool(key) {
      let pool = pools.get(key);
      if (pool === undefined) {
        pool = new Pool(key, settings);
        pools.set(key, pool);
      }
      return pool;
    },
    prune(live, busy) {
      for (const [key, pool] of pools) {
        if (live.has(key) || busy(key)) continue;
        pools.delete(key);
        pool.close();
      }
    },
    async destroy() {
      const closing: Promise<unknown>[] = [];
      for (const pool of pools.values()) closing.push(...pool.destroy());
      pools.clear();
      await Promise.all(closing);
    },
  };
}

interface Settings {
  headersTimeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

function upstreamError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

/** Where a connection is in its life. */
const Phase = { Connecting: 0, Idle: 1, Sending: 2, Waiting: 3, Receiving: 4, Closed: 5 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

class Pool implements UpstreamPool {
  readonly host: string;
  readonly port: number;
  readonly settings: Settings;
  /** Idle connections, most recently used last (reused first: warm, least likely timed out). */
  readonly idle: Connection[] = [];
  /** Every open connection, busy or idle. */
  readonly conns = new Set<Connection>();
  closing = false;

  constructor(key: string, settings: Settings) {
    const colon = key.lastIndexOf(':');
    this.host = key.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(key.slice(colon + 1));
    this.settings = settings;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closing) {
      handler.onResponseError(upstreamError('UPSTREAM_CLOSED', 'the backend has left the route table'));
      return;
    }
    const conn = this.idle.pop() ?? new Connection(this);
    conn.start(request, handler);
  }

  close(): void {
    this.closing = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
  }

  /** Destroys every connection; resolves when their sockets are closed. */
  destroy(): Array<Promise<unknown>> {
    const conns = [...this.conns];
    this.close();
    return conns.map((conn) => {
      const closed = conn.socket.closed ? Promise.resolve() : new Promise((resolve) => conn.socket.once('close', resolve));
      conn.destroy();
      return closed;
    });
  }
}

/** Size of the read buffers of upstream connections: a 64 KiB body with its head comes in one
 *  read and goes out in one write (with 64 KiB buffers its last bytes took a read and a write of
 *  their own, 8–15 µs of the 75–90 µs such a response costs over HTTP: docs/router-speed.md).
 *  Each connection holds one, busy or idle. */
const READ_BUFFER_BYTES = 128 * 1024;
/** Free read buffers kept for reuse (beyond, they are left to the garbage collector). */
const MAX_FREE_LEASES = 64;

/**
 * A read buffer. A connection reads into its lease; body bytes handed to the client are views of
 * it, so it is lent out until each such write is done (`release`). A lease still lent when the
 * next read comes is detached: the connection takes another one, and the lent one returns to
 * the free list when its last write is done. A lease whose release never comes (a response
 * abandoned before its socket wrote it) is simply not reused.
 */
interface Lease {
  readonly buf: Buffer;
  lent: number;
  /** A connection reads into it. */
  attached: boolean;
  readonly release: () => void;
}

const freeLeases: Lease[] = [];

function takeLease(): Lease {
  const reused = freeLeases.pop();
  if (reused !== undefined) {
    reused.attached = true;
    return reused;
  }
  const lease: Lease = {
    buf: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
    lent: 0,
    attached: true,
    release: () => {
      if (--lease.lent === 0 && !lease.attached) giveLease(lease);
    },
  };
  return lease;
}

function giveLease(lease: Lease): void {
  if (freeLeases.length < MAX_FREE_LEASES) freeLeases.push(lease);
}

/** One connection to a backend and the exchange on it, if any. It is its own UpstreamControl. */
class Connection implements UpstreamControl {
  readonly pool: Pool;
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  phase: Phase = Phase.Connecting;
  handler: UpstreamHandler | null = null;
  request: UpstreamRequest | null = null;
  /** The request body is fully written. */
  sent = false;
  /** The read buffer the socket reads into now. */
  lease: Lease;
  /** The idle time this backend allows (Keep-Alive hint), ms. */
  idleMs: number;
  /** The socket's inactivity timeout once connected: it checks the idle and headers timeouts. */
  tickMs: number;
  /** When the current request was sent (performance.now()). */
  sentAt = 0;

  constructor(pool: Pool) {
    this.pool = pool;
    pool.conns.add(this);
    this.idleMs = pool.settings.idleTimeoutMs;
    this.tickMs = Math.min(this.idleMs, pool.settings.headersTimeoutMs);
    this.parser = new ResponseParser({
      head: (head) => this.onHead(head),
      data: (chunk) => {
        if (this.handler === null) return;
        const lease = this.lease;
        lease.lent++;
        this.handler.onResponseData(this, chunk, lease.release);
      },
      end: () => this.onEnd(),
    });
    this.lease = takeLease();
    this.socket = net.connect({
      host: pool.host, port: pool.port, noDelay: true,
      // Reads go into pooled buffers, not a new allocation per read (the garbage of 64 KiB
      // responses was a tenth of the router's time): see Lease.
      onread: { buffer: () => this.nextBuffer(), callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    });
    this.socket.setTimeout(pool.settings.connectTimeoutMs);
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('end', () => this.onReadEnd());
    this.socket.on('timeout', () => this.onTimeout());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    this.socket.on('close', () => this.onClose());
  }

  start(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.request = request;
    this.handler = handler;
    this.sent = false;
    if (this.phase === Phase.Idle) this.send();
  }

  private onConnect(): void {
    // One inactivity timer for the connection's life, not set per request: see onTimeout.
    this.socket.setTimeout(this.tickMs);
    if (this.handler === null) return this.destroy();
    this.send();
  }

  private send(): void {
    const request = this.request!;
    const handler = this.handler!;
    this.phase = Phase.Sending;
    this.sentAt = performance.now();
    this.parser.expect(request.method);
    handler.onRequestStart(this);
    if (this.handler !== handler) return; // aborted by the handler
    const { body } = request;
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    const h = request.headers;
    head += typeof h === 'string' ? h : headerLines(h);
    if (body === null) {
      if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') head += 'content-length: 0\r\n';
      this.socket.write(`${head}\r\n`, 'latin1');
      this.sent = true;
      this.phase = Phase.Waiting;
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.socket.cork();
      this.socket.write(`${head}content-length: ${body.length}\r\n\r\n`, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
      this.sent = true;
      this.phase = Phase.Waiting;
      return;
    }
    const chunked = request.bodyLength === null;
    this.socket.write(`${head}${chunked ? 'transfer-encoding: chunked' : `content-length: ${request.bodyLength}`}\r\n\r\n`, 'latin1');
    this.phase = Phase.Waiting;
    this.streamBody(body, chunked, handler);
  }

  /** Streams the client's body upstream, pausing it while the socket is full. */
  private streamBody(body: Readable, chunked: boolean, handler: UpstreamHandler): void {
    const socket = this.socket;
    const live = (): boolean => this.handler === handler && !socket.destroyed;
    const onData = (chunk: Buffer): void => {
      if (!live()) return;
      const ok = chunked ? socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1') && socket.write(chunk) && socket.write('\r\n', 'latin1') : socket.write(chunk);
      if (!ok) {
        body.pause();
        socket.once('drain', () => body.resume());
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (!live()) return;
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
      this.sent = true;
    };
    const onAbort = (): void => {
      cleanup();
      if (live() && !this.sent) this.destroy(); // the client left mid-body: the request cannot be completed
    };
    const cleanup = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onAbort);
      body.off('close', onAbort);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onAbort);
    body.once('close', onAbort);
    body.resume(); // a body limit (body-limit.ts) may have paused it until now
  }

  /** The buffer for the next read: the same one, unless a handler still holds bytes of it. */
  private nextBuffer(): Buffer {
    // Closed: no read will come (destroy() let the lease go); a fresh lease would only be lost.
    if (this.lease.lent > 0 && this.phase !== Phase.Closed) {
      this.lease.attached = false;
      this.lease = takeLease();
    }
    return this.lease.buf;
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    this.onData((buf as Buffer).subarray(0, n));
    return true; // a handler that needs a pause has paused the socket itself
  }

  private onData(chunk: Buffer): void {
    const handler = this.handler;
    if (handler === null) { // data on an idle connection: the app broke the protocol
      this.destroy();
      return;
    }
    try {
      const extra = this.parser.execute(chunk);
      if (extra > 0) this.destroy();
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
    handler.onReadDone();
  }

  private onHead(head: ResponseHead): void {
    const handler = this.handler;
    if (handler === null) return;
    this.phase = Phase.Receiving;
    if (head.keepAliveMs !== null && head.keepAliveMs - 1000 < this.idleMs) {
      this.idleMs = head.keepAliveMs - 1000;
      if (this.idleMs > 0 && this.idleMs < this.tickMs) this.socket.setTimeout(this.tickMs = this.idleMs);
    }
    handler.onResponseStart(this, head);
  }

  private onEnd(): void {
    const handler = this.handler;
    if (handler === null) return;
    this.handler = null;
    this.request = null;
    const reusable = this.parser.keepAlive && this.sent && this.idleMs > 0 && !this.pool.closing && !this.socket.destroyed;
    if (reusable) {
      this.phase = Phase.Idle;
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.idle.push(this);
    } else {
      this.destroy();
    }
    handler.onResponseEnd();
  }

  private onReadEnd(): void {
    if (this.handler === null) return this.destroy();
    try {
      this.parser.finish();
    } catch {
      this.fail(upstreamError('UPSTREAM_SOCKET', 'the app closed the connection before the response ended'));
      return;
    }
    this.destroy();
  }

  /**
   * The socket saw no activity for tickMs (the timer is re-armed by any read or write). Idle:
   * the connection is closed before the backend would close it. Waiting for headers: 504 once
   * headersTimeoutMs have passed since the request was sent (so within one tick of it).
   * Receiving: a body may stream, or pause, for as long as the client keeps reading.
   */
  private onTimeout(): void {
    switch (this.phase) {
      case Phase.Connecting: return this.fail(upstreamError('UPSTREAM_CONNECT_TIMEOUT', `connecting to ${this.pool.host}:${this.pool.port} timed out`));
      case Phase.Sending:
      case Phase.Waiting:
        if (performance.now() - this.sentAt >= this.pool.settings.headersTimeoutMs - 1) {
          return this.fail(upstreamError('UPSTREAM_HEADERS_TIMEOUT', 'no response headers in time'));
        }
        this.socket.setTimeout(this.tickMs); // fired early (armed before this request): wait again
        return;
      case Phase.Receiving:
        this.socket.setTimeout(this.tickMs);
        return;
      default: return this.destroy();
    }
  }

  private fail(err: NodeJS.ErrnoException): void {
    const handler = this.handler;
    this.handler = null;
    this.request = null;
    this.destroy();
    handler?.onResponseError(err);
  }

  private onClose(): void {
    if (this.handler !== null) this.fail(upstreamError('UPSTREAM_SOCKET', 'the connection to the app closed'));
    this.forget();
  }

  private forget(): void {
    if (this.phase === Phase.Closed) return;
    this.phase = Phase.Closed;
    this.pool.conns.delete(this);
    const i = this.pool.idle.lastIndexOf(this);
    if (i !== -1) this.pool.idle.splice(i, 1);
  }

  destroy(): void {
    // The socket reads no more: its lease is free now, or once the writes holding it are done.
    if (this.lease.attached) {
      this.lease.attached = false;
      if (this.lease.lent === 0) giveLease(this.lease);
    }
    this.forget();
    this.handler = null;
    this.request = null;
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  abort(): void {
    this.destroy();
  }
}
