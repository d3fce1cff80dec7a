// A whole platform (controller + builder + router) in this process, on real Docker, Redis and
// registry, with a private data dir, ports, Redis prefix and Docker label.
import http from 'node:http';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { startBuilder } from '../../builder/index.ts';
import { accessLogger } from '../../common/app-log.ts';
import { startMinuteRecorder } from '../../router/minute-metrics.ts';
import type { Config } from '../../common/config.ts';
import { startController, type ControllerHandle, type ControllerOptions } from '../../controller/index.ts';
import { startRouter, type RouterOptions } from '../../router/index.ts';
import { readAdminToken, removeDataDir, testConfig } from './config.ts';
import { removeRedisKeys } from './redis-keys.ts';

export interface TestPlatform {
  config: Config;
  docker: Dockerode;
  controller: ControllerHandle;
  routerPort: number;
  /** The router's HTTPS port (null: started without `tls`). */
  httpsPort: number | null;
  adminToken: string;
  /** JSON API call as the admin. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** GET through the router with the app's Host header. */
  viaRouter(app: string, path?: string): Promise<HttpResult>;
  /** Writes the router's request counts to the metrics history now (else every 10 s). */
  flushMetrics(): Promise<void>;
  /** Stops the controller and starts a new one on the same port and data dir (a platform
   *  restart: dynos and add-on servers keep running, the new controller adopts them). */
  restartController(): Promise<void>;
  stop(): Promise<void>;
}

export interface HttpResult { status: number; body: string; headers: http.IncomingHttpHeaders }

/** GET through a loopback port with a chosen Host header (fetch does not let one set Host). */
export function httpGet(port: number, host: string, path = '/'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

/** Options of the controller besides its config (kept across restartController). */
export type TestControllerOptions = Omit<ControllerOptions, 'config' | 'docker' | 'log'>;

export async function startTestPlatform(overrides: Partial<Config> = {}, routerTls?: RouterOptions['tls'], controllerOptions: TestControllerOptions = {}): Promise<TestPlatform> {
  const config = testConfig(overrides);
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const logs: string[] = [];
  let controller = await startController({ ...controllerOptions, config, docker, log: (l) => logs.push(l) });
  const builderRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const builder = await startBuilder({ config, docker, connection: builderRedis, concurrency: 1 });
  // As a paas-router worker: access lines to the app log, request counts to the metrics history.
  const lines = accessLogger(builderRedis, config.redisPrefix);
  const history = startMinuteRecorder({ redis: builderRedis, prefix: config.redisPrefix, log: (l) => logs.push(l) });
  const router = await startRouter({ config, onAccess: (e) => { lines(e); history.record(e); }, tls: routerTls });
  // Apps' web_url and route hosts use the router's real port.
  config.routerPort = router.port;
  config.apiUrl = controller.url;
  const adminToken = readAdminToken(config);

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${controller.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  return {
    config,
    docker,
    get controller() { return controller; },
    routerPort: router.port,
    httpsPort: router.edge.httpsPort(),
    adminToken,
    api,
    viaRouter: (app, path = '/') => httpGet(router.port, `${app}.${config.domain}`, path),
    flushMetrics: () => history.flush(),
    async restartController() {
      const port = controller.port;
      await controller.close();
      controller = await startController({ ...controllerOptions, config: { ...config, apiPort: port }, docker, log: (l) => logs.push(l) });
    },
    async stop() {
      // Destroying every app removes its containers, repository, registry and local images.
      const apps = await api<Array<{ name: string }>>('GET', '/apps').catch(() => ({ body: [] }));
      for (const a of apps.body ?? []) await api('DELETE', `/apps/${a.name}`).catch(() => undefined);
      // Add-ons an app destroy could not take with it: their servers, networks and volumes go
      // once the controller is closed (its add-on supervisor would start them again).
      const addons = await api<Array<{ id: string }>>('GET', '/addons').catch(() => ({ body: [] }));
      // Only this platform's apps' containers: others labelled alike belong to tests running meanwhile.
      const own = new Set((apps.body ?? []).map((a) => a.name));
      const containers = (await docker.listContainers({ all: true, filters: { label: [`${config.label}=1`] } }))
        .filter((c) => own.has(c.Labels[`${config.label}.app`]));
      await Promise.allSettled([router.close().then(() => history.close()), builder.close(), controller.close()]);
      for (const { id } of addons.body ?? []) {
        const filters = { label: [`${config.label}.addon-id=${id}`] };
        for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
        for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
        for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
      }
      // Its keys (build queue, logs, route table) are under its own prefix.
      await removeRedisKeys(builderRedis, `${config.redisPrefix}:*`).catch(() => undefined);
      builderRedis.disconnect();
      await Promise.allSettled(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
      if (process.env.PAAS_TEST_KEEP_LOGS) console.log(logs.join('\n'));
      removeDataDir(config);
    },
  };
}
