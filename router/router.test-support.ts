// Real pieces for the router's tests: backends on 127.0.0.1, a Redis table writer, a client.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../common/config.ts';
import type { AppRoute, Backend, RouteTable } from '../common/routes.ts';
import { routeChannel, routeTableKey } from '../common/redis-keys.ts';

/** The platform's Redis (PAAS_REDIS_URL, with its password file when there is one). */
export const REDIS_URL = loadConfig().redisUrl;

export interface TestBackend {
  name: string;
  port: number;
  backend(dyno?: string): Backend;
  /** Requests seen, as parsed by the backend. */
  seen: http.IncomingMessage[];
  /** Open TCP connections to this backend (HTTP and upgraded). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

/**
 * An app process: answers JSON {name, method, url, headers, body}; "/hang" never answers;
 * WebSocket-style upgrades get a raw 101 and their bytes echoed back.
 */
export async function startBackend(name: string): Promise<TestBackend> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req);
    if (req.url === '/hang') return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      res.setHeader('content-type', 'application/json');
      res.setHeader('keep-alive', 'timeout=7');
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push(req);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-backend: ${name}\r\n\r\n`);
    if (head.length) socket.write(head);
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  });
  const port = await listen(server);
  return {
    name, port, seen,
    backend: (dyno = name) => ({ dyno, host: '127.0.0.1', port, release: 1 }),
    connections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    close: () => closeServer(server),
  };
}

/**
 * A port nothing listens on (bound, then released). Taken below the ephemeral range so that
 * no client socket (ours or another test's) can get it as its local port meanwhile.
 */
export async function deadPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const server = http.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await closeServer(server);
      return port;
    }
  }
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function route(app: string, backends: Backend[], extra: Partial<AppRoute> = {}): AppRoute {
  return { app, hosts: [`${app}.localhost`], backends, maintenance: false, ...extra };
}

/** Writes tables the way the controller does: the key, then a message. */
export function tableWriter(redis: Redis, prefix: string) {
  return {
    async store(table: RouteTable): Promise<void> {
      await redis.set(routeTableKey(prefix), JSON.stringify(table));
    },
    async publish(table: RouteTable): Promise<void> {
      await redis.set(routeTableKey(prefix), JSON.stringify(table));
      await redis.publish(routeChannel(prefix), String(table.version));
    },
    async cleanup(): Promise<void> {
      await redis.del(routeTableKey(prefix));
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = { name: string; method: string; url: string; headers: Record<string, string>; body: string }>(): T;
}

export interface RequestOptions {
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  setHost?: boolean;
}

export function request(port: number, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.host !== undefined) headers.host = opts.host;
    const req = http.request({
      host: '127.0.0.1', port, agent: false, path: opts.path ?? '/', method: opts.method ?? 'GET',
      headers, setHost: opts.setHost ?? true,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
