// The router as bin/paas-router.ts runs it, from the platform configuration: a supervisor
// process with PAAS_ROUTER_WORKERS workers (at least two: while one is replaced, the other
// keeps the shared listeners open and serves) behind the HTTP and HTTPS
// listeners, the admin listener, and the last-known routes kept in the data dir.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config.ts';
import { startRouterCluster, type RouterCluster } from './cluster.ts';
import { loadDefaultCertificate } from './default-cert.ts';
import type { RouterLimits } from './limits.ts';

/** The client limits the platform configuration sets (the rest keep their defaults). */
export function routerLimits(config: Config): Partial<RouterLimits> {
  return {
    maxBodyBytes: config.routerMaxBodyBytes,
    requestTimeoutMs: config.routerRequestTimeout * 1000,
    maxConnections: config.routerMaxConnections,
    maxConnectionsPerIp: config.routerMaxConnectionsPerIp,
    wsIdleTimeoutMs: config.routerWsIdleTimeout * 1000,
  };
}

export const routerStateFile = (config: Config): string => path.join(config.dataDir, 'router', 'state.json');
export const routerPidFile = (config: Pick<Config, 'dataDir'>): string => path.join(config.dataDir, 'router', 'router.pid');
/** Where orphaned workers of a killed supervisor register (takeover.ts). */
export const routerTakeoverDir = (config: Config): string => path.join(config.dataDir, 'router', 'orphans');

/** True if `pid` is a live paas-router supervisor (not a recycled pid). */
export function isRouterProcess(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('paas-router');
  } catch {
    return false;
  }
}

/** The pid in the router's pid file if that process is a live router, else null. */
export function runningRouterPid(config: Pick<Config, 'dataDir'>): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(routerPidFile(config), 'utf8'), 10);
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && isRouterProcess(pid) ? pid : null;
}

export async function serveRouter(config: Config, log: (line: string) => void = (l) => console.error(`router: ${l}`)): Promise<RouterCluster> {
  const tls = config.httpsPort >= 0
    ? { port: config.httpsPort, defaultCert: await loadDefaultCertificate(config, log) }
    : undefined;
  const admin = config.routerAdminPort >= 0 ? { port: config.routerAdminPort, bind: config.routerAdminBind, token: config.metricsToken || undefined } : undefined;
  const limits = routerLimits(config);
  return startRouterCluster({
    config, workers: Math.max(2, config.routerWorkers), tls, admin, limits, accessLog: true, history: true, log, stateFile: routerStateFile(config),
    takeoverDir: routerTakeoverDir(config),
  });
}
