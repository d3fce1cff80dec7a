// The router's admin listener: GET /metrics (Prometheus text) and GET /healthz. On loopback by
// default; with a token (PAAS_METRICS_TOKEN) /metrics wants `Authorization: Bearer <token>`,
// and only then may it listen on another address (PAAS_ROUTER_ADMIN_BIND). It never proxies.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { renderPrometheus, type MetricsSnapshot } from './metrics.ts';
import { errorMessage } from '../common/errors.ts';

export interface AdminOptions {
  port: number;
  bind?: string;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  token?: string;
}

const isLoopback = (bind: string): boolean => bind === 'localhost' || (net.isIP(bind) !== 0 && (bind.startsWith('127.') || bind === '::1'));
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether a request carries the token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(opts: AdminOptions & {
  snapshot: () => Promise<MetricsSnapshot>;
  workers?: () => number;
  /** More Prometheus text after the router's own (per-dyno gauges). */
  extra?: () => Promise<string>;
  log: (line: string) => void;
}): Promise<AdminServer> {
  const bind = opts.bind ?? '127.0.0.1';
  if (!opts.token && !isLoopback(bind)) throw new Error(`the admin listener on ${bind} needs PAAS_METRICS_TOKEN (without a token it serves loopback only)`);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && opts.token && !bearerMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end('a bearer token is required\n');
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      Promise.all([opts.snapshot(), opts.extra?.() ?? '']).then(([snap, extra]) => {
        const body = renderPrometheus(snap, { workers: opts.workers?.() }) + extra;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, (err: unknown) => {
        opts.log(`metrics: ${errorMessage(err)}`);
        res.writeHead(500).end();
      });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, bind, () => { server.off('error', reject); resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
