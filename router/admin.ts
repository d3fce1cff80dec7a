// The router's admin listener: GET /metrics (Prometheus text) and GET /healthz. Meant for
// loopback or a private network only; it never proxies anything.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPrometheus, type MetricsSnapshot } from './metrics.ts';
import { errorMessage } from '../common/errors.ts';

export interface AdminOptions {
  port: number;
  bind?: string;
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
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
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
    server.listen(opts.port, opts.bind ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
