// Client-side limits of the router's listeners, Heroku-like: slow or idle clients are cut so
// they cannot hold connections (slowloris), bodies are capped, and the app has 30 s to start
// answering (that one lives in the web handler).
import type http from 'node:http';

export interface RouterLimits {
  /** Whole request head must arrive within this (slowloris on headers). */
  headersTimeoutMs: number;
  /** Whole request, body included; 0 = no limit (long uploads stay possible while they move). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection between requests is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (Heroku: 55 s rolling window). */
  idleTimeoutMs: number;
  /** Largest request body forwarded, else 413; 0 = no limit. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: RouterLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 0,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 55_000,
  maxBodyBytes: 100 * 1024 * 1024,
};

/** Options for http.createServer / https.createServer. */
export function serverOptions(limits: RouterLimits): http.ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node checks headers/request timeouts (its default, 30 s, would let slow heads linger).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Applies the limits a server takes after creation (socket idle timeout). */
export function applyLimits(server: http.Server, limits: RouterLimits): void {
  server.timeout = limits.idleTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}
