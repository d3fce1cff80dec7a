// The router as paasd runs it, from the platform configuration: HTTP and HTTPS listeners,
// the admin listener, and one worker per core (PAAS_ROUTER_WORKERS) or a single process.
import { Redis } from 'ioredis';
import { accessLogger } from '../common/app-log.ts';
import type { Config } from '../common/config.ts';
import { startRouterCluster } from './cluster.ts';
import { loadDefaultCertificate } from './default-cert.ts';
import { startRouter } from './index.ts';

export interface ServedRouter {
  port: number;
  httpsPort: number | null;
  adminPort: number | null;
  workers: number;
  close(): Promise<void>;
}

export async function serveRouter(config: Config, log: (line: string) => void = (l) => console.error(`router: ${l}`)): Promise<ServedRouter> {
  const tls = config.httpsPort >= 0
    ? { port: config.httpsPort, defaultCert: await loadDefaultCertificate(config, log) }
    : undefined;
  const admin = config.routerAdminPort >= 0 ? { port: config.routerAdminPort } : undefined;
  const limits = { maxBodyBytes: config.routerMaxBodyBytes };
  if (config.routerWorkers > 1) {
    const c = await startRouterCluster({ config, workers: config.routerWorkers, tls, admin, limits, accessLog: true, log });
    return { port: c.port, httpsPort: c.httpsPort, adminPort: c.adminPort, workers: config.routerWorkers, close: () => c.close() };
  }
  const logRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const r = await startRouter({ config, tls, admin, limits, log, onAccess: accessLogger(logRedis, config.redisPrefix) });
  return {
    port: r.port, httpsPort: r.edge.httpsPort(), adminPort: r.edge.adminPort(), workers: 1,
    async close() {
      await r.close();
      logRedis.disconnect();
    },
  };
}
