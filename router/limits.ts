// Client-side limits of the router's listeners, Heroku-like: slow or idle clients are cut so
// they cannot hold connections (slowloris, trickled bodies, silent websockets), connections are
// capped per worker and per client address, bodies are capped, and the app has 30 s to start
// answering (that one lives in the web handler).
import type http from 'node:http';
import type { Socket } from 'node:net';

export interface RouterLimits {
  /** Whole request head must arrive within this (slowloris on headers). */
  headersTimeoutMs: number;
  /** Whole request, body included, must arrive within this: a body trickled in a byte at a
   *  time (never idle long enough for idleTimeoutMs) cannot hold a connection forever. 408. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection between requests is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (Heroku: 55 s rolling window). */
  idleTimeoutMs: number;
  /** Largest request body forwarded, else 413; 0 = no limit. */
  maxBodyBytes: number;
  /** Open client connections per worker process (HTTP and HTTPS); more are closed at once. 0 = no cap. */
  maxConnections: number;
  /** Open client connections per client address per worker (trusted proxies exempt). 0 = no cap. */
  maxConnectionsPerIp: number;
  /** A websocket with no traffic either way for this long is closed. 0 = never. */
  wsIdleTimeoutMs: number;
}

export const DEFAULT_LIMITS: RouterLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 55_000,
  maxBodyBytes: 100 * 1024 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerIp: 1_000,
  wsIdleTimeoutMs: 55_000,
};

/** Options for http.createServer / https.createServer. */
export function serverOptions(limits: RouterLimits): http.ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node checks headers/request timeouts (its default, 30 s, would let slow heads linger).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs || Infinity) / 4))),
  };
}

/** Applies the limits a server takes after creation (socket idle timeout). */
export function applyLimits(server: http.Server, limits: RouterLimits): void {
  server.timeout = limits.idleTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}

/** Counts open client connections (per worker, and per client address) against the caps. */
export interface ConnectionCap {
  /** True if the new connection may stay; it is then counted until it closes. */
  admit(socket: Socket, exempt: boolean): boolean;
  open(): number;
}

export function createConnectionCap(limits: RouterLimits, onRefused: (why: string) => void): ConnectionCap {
  let total = 0;
  const perIp = new Map<string, number>();
  return {
    admit(socket, exempt) {
      const ip = socket.remoteAddress ?? '';
      const mine = perIp.get(ip) ?? 0;
      if (limits.maxConnections > 0 && total >= limits.maxConnections) {
        onRefused(`${total} connections open (cap ${limits.maxConnections})`);
        return false;
      }
      if (!exempt && limits.maxConnectionsPerIp > 0 && mine >= limits.maxConnectionsPerIp) {
        onRefused(`${mine} connections open from ${ip} (cap ${limits.maxConnectionsPerIp} per address)`);
        return false;
      }
      total++;
      perIp.set(ip, mine + 1);
      socket.once('close', () => {
        total--;
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(ip);
        else perIp.set(ip, n);
      });
      return true;
    },
    open: () => total,
  };
}
