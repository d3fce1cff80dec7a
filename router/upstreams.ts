// Connections to the apps: one undici Pool of keep-alive HTTP/1.1 connections per backend
// address ("host:port"), shared by every app and table version that routes there. A pool
// lives until its backend has left the route table and nothing is in flight to it.
import { Pool } from 'undici';

export interface UpstreamOptions {
  /** Time a backend has, once the request is sent, to send response headers (then UND_ERR_HEADERS_TIMEOUT). */
  headersTimeoutMs: number;
  /** Connecting gives up after this (UND_ERR_CONNECT_TIMEOUT); default 5 s. */
  connectTimeoutMs?: number;
  /** Idle connections are closed after this, or sooner if the backend's Keep-Alive hint says so; default 4 s. */
  idleTimeoutMs?: number;
}

export interface Upstreams {
  /** The pool for a backend address ("host:port"), created on first use. */
  pool(key: string): Pool;
  /** Closes (gracefully) the pools of addresses not in `live` for which `busy` is false. */
  prune(live: ReadonlySet<string>, busy: (key: string) => boolean): void;
  /** Destroys every pool and its connections. */
  destroy(): Promise<void>;
}

export function createUpstreams(opts: UpstreamOptions): Upstreams {
  const pools = new Map<string, Pool>();
  const idle = opts.idleTimeoutMs ?? 4000;
  const options: Pool.Options = {
    pipelining: 1, // keep-alive, one request at a time per connection (as browsers and nginx do)
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: 0, // a response may stream for as long as the client keeps reading
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    keepAliveTimeout: idle,
    keepAliveMaxTimeout: idle,
    keepAliveTimeoutThreshold: 1000, // a "Keep-Alive: timeout=5" backend is left after 4 s
  };
  return {
    pool(key) {
      let pool = pools.get(key);
      if (pool === undefined) {
        // A key holds one colon unless the host is an IPv6 address.
        const origin = key.indexOf(':') === key.lastIndexOf(':') ? `http://${key}` : `http://[${key.slice(0, key.lastIndexOf(':'))}]${key.slice(key.lastIndexOf(':'))}`;
        pool = new Pool(origin, options);
        pools.set(key, pool);
      }
      return pool;
    },
    prune(live, busy) {
      for (const [key, pool] of pools) {
        if (live.has(key) || busy(key)) continue;
        pools.delete(key);
        pool.close().catch(() => {});
      }
    },
    async destroy() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.destroy().catch(() => {})));
    },
  };
}
