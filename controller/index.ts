// The controller: REST API + git server + scheduler + route publisher, wired from explicit deps.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import type { BuildJobData, BuildJobResult } from '../common/build.ts';
import { buildQueueName } from '../common/redis-keys.ts';
import type { Config } from '../common/config.ts';
import { createKeyedMutex } from '../common/keyed-mutex.ts';
import { appendAppLog } from '../common/app-log.ts';
import { bootstrapAdmin, loadHookSecret } from './bootstrap.ts';
import { createGitHandler, isGitRequest } from './git/http-handler.ts';
import { createPushers } from './git/pushers.ts';
import { createRepoStore } from './git/repos.ts';
import { createApi } from './http/api.ts';
import { createDashboard, isDashboardRequest } from './dashboard/index.ts';
import { createDiskGuard } from './services/disk-space.ts';
import { createRequestLimits } from './http/rate-limit.ts';
import { createStreamTailer } from '../common/stream-tailer.ts';
import type { ResponseObserver } from './http/validate.ts';
import { createScheduler } from './scheduler/create-scheduler.ts';
import { createAttachHandler } from './http/dyno-attach.ts';
import type { Scheduler } from './scheduler/types.ts';
import { createAddonService, type AddonService } from './services/addon-service.ts';
import type { AddonClock } from './services/addons.ts';
import { createAppService } from './services/apps.ts';
import { createBuildService } from './services/builds.ts';
import { createConfigService } from './services/config-vars.ts';
import { createOneOffRuns } from './services/one-off-runs.ts';
import { createDeployer } from './services/deployer.ts';
import { createDynoSpecs } from './services/dyno-spec.ts';
import { createDomainService } from './services/domains.ts';
import { createDynoService } from './services/dynos.ts';
import { createFormationService } from './services/formation.ts';
import { createReleaseService } from './services/releases.ts';
import { createRegistryClient, type RegistryClient } from './services/registry.ts';
import { startDynoMetrics, type DynoMetrics } from './services/dyno-metrics.ts';
import { startDrainShipper, type DrainShipper } from './services/drain-shipper.ts';
import { startDynoOutput } from './services/dyno-output.ts';
import { startLogHistory } from './services/log-history.ts';
import { listApps } from './store/apps.ts';
import { allLogDrains } from './store/log-drains.ts';
import { urlPolicyOf } from '../common/url-policy.ts';
import { createPlatformStatus } from './services/platform-status.ts';
import { startReconciler } from './services/reconciler.ts';
import { createRoutePublisher, lastRouteTable, type RoutePublisher } from './services/route-publisher.ts';
import { createAcmeService, type AcmeService } from './services/acme.ts';
import { createCertService, withCertificates } from './services/certs.ts';
import { createSourceStore } from './services/sources.ts';
import { startWebhooks } from './services/webhooks.ts';
import { failAbandonedBuilds } from './store/builds.ts';
import { requestBuildCancel } from '../common/build-cancel.ts';
import { errorMessage } from '../common/errors.ts';
import { openDb, type Db } from './store/db.ts';
import { failAbandonedReleases } from './store/releases.ts';
import { loadApiCertificate } from './rendezvous/api-certificate.ts';
import { startRendezvous, type Rendezvous } from './rendezvous/listener.ts';

export interface ControllerOptions {
  config: Config;
  docker: Dockerode;
  log?: (line: string) => void;
  /** Overrides the scheduler PAAS_SCHEDULER chooses (tests). */
  scheduler?: Scheduler;
  /** How often every app is converged to its desired state (ms, default 30 s). */
  reconcileMs?: number;
  /** Dyno metrics sampling interval; default 10 s. */
  metricsIntervalMs?: number;
  /** Overrides the registry client (tests). */
  registry?: RegistryClient;
  /** Sees every JSON response of the API with its route contract (the schema test). */
  onResponse?: ResponseObserver;
  /** How often webhooks look for changes and due deliveries (ms, default 1 s). */
  webhookScanMs?: number;
  /** The clock scheduled add-on backups read, and how often (default: the real one, every minute). */
  addonClock?: AddonClock;
}

export interface ControllerHandle {
  server: http.Server;
  port: number;
  url: string;
  db: Db;
  routes: RoutePublisher;
  /** Path of the admin token file written on first start, or null if users existed. */
  adminTokenFile: string | null;
  /** The dyno collector (sample() takes one now). */
  dynoMetrics: DynoMetrics;
  /** Ships app logs to their drains. */
  drains: DrainShipper;
  /** Port of the rendezvous listener (attached `heroku run`), null when it is off. */
  rendezvousPort: number | null;
  /** Port of the API and git server over HTTPS, null when it is off. */
  tlsPort: number | null;
  close(): Promise<void>;
}

/** Removes the containers of a build (labelled `<label>.build=<id>`, builder/buildpack-build.ts). */
async function removeBuildContainers(docker: Dockerode, label: string, buildId: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${label}.build=${buildId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
}

export async function startController(opts: ControllerOptions): Promise<ControllerHandle> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => console.log(line));
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDb(path.join(config.dataDir, 'paas.db'));
  const abandonedBuilds = failAbandonedBuilds(db);
  failAbandonedReleases(db);
  const adminTokenFile = bootstrapAdmin(db, config.dataDir);
  const hook = loadHookSecret(config.dataDir);

  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const eventsConnection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<BuildJobData, BuildJobResult>(buildQueueName, { connection: redis, prefix: config.redisPrefix });
  const queueEvents = new QueueEvents(buildQueueName, { connection: eventsConnection, prefix: config.redisPrefix });
  // Their jobs may still be queued, or stalled in the queue when the builder died with this
  // process: canceled, so no builder runs them again for a build already marked failed.
  // Their build containers (the builder died with this process) would run on and stay: removed.
  for (const id of abandonedBuilds) {
    requestBuildCancel(redis, config.redisPrefix, id).catch((err: unknown) => log(`build ${id} not canceled: ${errorMessage(err)}`));
    removeBuildContainers(opts.docker, config.label, id).catch((err: unknown) => log(`build ${id}: containers not removed: ${errorMessage(err)}`));
  }

  const scheduler = opts.scheduler ?? createScheduler(config, opts.docker, (line) => log(`scheduler: ${line}`), await lastRouteTable(redis, config.redisPrefix));
  const registry = opts.registry ?? createRegistryClient(config.registry, config.registryAuth);
  const certs = createCertService({ db, redis, config });
  let acme: AcmeService | null = null;
  const routes = withCertificates(createRoutePublisher({ db, redis, scheduler, config }), certs, () => acme?.kick());
  acme = createAcmeService({ db, redis, config, certs, log });
  let hookUrl = '';
  const repos = createRepoStore(path.join(config.dataDir, 'repos'), {
    get url() { return hookUrl; },
    secretFile: hook.file,
    maxBytes: config.sourceMaxBytes,
  });
  const events = (app: string, line: string): void => {
    void appendAppLog(redis, config.redisPrefix, app, { source: 'app', dyno: 'api', line }).catch(() => undefined);
  };
  let addons: AddonService | null = null;
  const specs = createDynoSpecs({ db, config, networks: (appId) => addons?.core.networksOf(appId) ?? [] });
  const deployer = createDeployer({ db, config, scheduler, registry, routes, appLock: createKeyedMutex(), specs, events });
  const builds = createBuildService({
    db, config, redis, queue, queueEvents, deployer, buildLock: createKeyedMutex(),
    events: (app, line) => { void appendAppLog(redis, config.redisPrefix, app, { source: 'paas', dyno: 'build', line }).catch(() => undefined); },
  });
  const releases = createReleaseService({ db, deployer });
  const configVars = createConfigService({ db, deployer });
  const runs = createOneOffRuns({ db, config, scheduler, specs, redis, log });
  const addonService = createAddonService({
    db, docker: opts.docker, label: config.label, dataDir: config.dataDir, subnets: config.addonSubnets, configVars, events, log: (l) => log(`addons: ${l}`),
    runs, runTimeLimitSec: config.runTimeLimit, clock: opts.addonClock,
  });
  addons = addonService;
  const formation = createFormationService({ db, deployer });
  const domains = createDomainService({ db, config, routes });
  const dynos = createDynoService({ db, scheduler, deployer });
  const logError = (err: unknown): void => log(`controller error: ${err instanceof Error ? err.stack : String(err)}`);
  const apps = createAppService({ db, config, repos, scheduler, registry, routes, deployer, redis, logError, buildLogPath: builds.logPath,
    beforeDestroy: (app) => addonService.beforeAppDestroy(app),
  });
  const pushers = createPushers();
  const sources = createSourceStore({ dataDir: config.dataDir, secret: hook.secret, maxBytes: () => config.sourceMaxBytes, ttlSec: () => config.sourceUrlTtl });
  const sweepSources = setInterval(() => sources.sweep(), 60_000);
  const dockerRoot = await opts.docker.info().then((i: { DockerRootDir?: string }) => i.DockerRootDir, () => undefined);
  const diskSpace = createDiskGuard({ paths: [config.dataDir, ...(dockerRoot ? [dockerRoot] : [])], minFreeMb: config.minFreeDiskMb });
  const limits = createRequestLimits({ perHour: config.apiRateLimit });
  const apiCert = config.rendezvousPort >= 0 || config.apiTlsPort >= 0 ? await loadApiCertificate(config, log) : null;
  const rendezvous: Rendezvous | null = apiCert && config.rendezvousPort >= 0
    ? await startRendezvous({ runs, cert: apiCert, bind: config.apiBind, port: config.rendezvousPort, log }) : null;
  const tail = createStreamTailer(redis);
  const dynoMetrics = startDynoMetrics({ scheduler, redis, prefix: config.redisPrefix, intervalMs: opts.metricsIntervalMs, log });
  const dynoOutput = await startDynoOutput({ scheduler, redis, prefix: config.redisPrefix, log });
  const logHistory = startLogHistory({ redis, prefix: config.redisPrefix, apps: () => listApps(db).map((a) => a.name), maxBytes: config.logHistoryBytes, log });
  const drains = startDrainShipper({
    redis, reader: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), prefix: config.redisPrefix,
    drains: () => allLogDrains(db).map((d) => ({ id: d.id, app: d.app, url: d.url, token: d.token })),
    policy: urlPolicyOf(config), extraCa: config.logDrainCaFile ? [fs.readFileSync(config.logDrainCaFile, 'utf8')] : [],
    bufferLines: config.logDrainBufferLines, bufferBytes: config.logDrainBufferBytes, log: (l) => log(l),
  });
  const api = createApi({
    db, config, limits, tail, scheduler, apps, builds, deployer, releases, configVars, formation, dynos, domains, runs, rendezvous, addons: addonService, routes, redis, hookSecret: hook.secret, logError, tls: { certs, acme },
    sources, onResponse: opts.onResponse, diskSpace, pushers, dynoMetrics,
    platformStatus: createPlatformStatus({ redis, config, scheduler, queueCounts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'failed') }),
  });
  const webhooks = startWebhooks({ db, config, scheduler, log: (line) => log(line), scanMs: opts.webhookScanMs });
  const git = createGitHandler({ db, repos, limits, pushers });
  const attach = createAttachHandler({ db, runs, limits, logError });
  const dashboard = createDashboard({ db, redis, config, limits, api, logError });

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (isGitRequest(req.url)) git(req, res);
    else if (isDashboardRequest(req.url)) dashboard(req, res);
    else api(req, res);
  };
  const listen = async (srv: http.Server, port: number): Promise<number> => {
    srv.on('upgrade', (req, socket, head) => {
      if (!attach.upgrade(req, socket, head)) socket.destroy();
    });
    srv.requestTimeout = 30 * 60 * 1000;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, config.apiBind, () => resolve());
    });
    return (srv.address() as AddressInfo).port;
  };
  const server = http.createServer(handler);
  const port = await listen(server, config.apiPort);
  // The same API and git server over HTTPS (the Heroku CLI's git remotes are https://).
  const tlsServer = apiCert && config.apiTlsPort >= 0 ? https.createServer({ cert: apiCert.cert, key: apiCert.key, minVersion: 'TLSv1.2' }, handler) : null;
  const tlsPort = tlsServer ? await listen(tlsServer, config.apiTlsPort) : null;
  const loopback = config.apiBind === '0.0.0.0' || config.apiBind === '::' ? '127.0.0.1' : config.apiBind;
  hookUrl = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}/internal/push`;
  await repos.installHooks();

  let syncTimer: NodeJS.Timeout | null = null;
  const unwatch = scheduler.onChange(() => {
    if (syncTimer) return;
    syncTimer = setTimeout(() => { syncTimer = null; routes.sync().catch((err) => logError(err)); }, 100);
  });
  await routes.sync();
  const reconciler = startReconciler({ db, scheduler, deployer, intervalMs: opts.reconcileMs ?? 30_000, log });
  void reconciler.runOnce();
  void runs.sweep().catch((err: unknown) => logError(err));
  addonService.start();

  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    db,
    routes,
    adminTokenFile,
    dynoMetrics,
    drains,
    rendezvousPort: rendezvous?.port ?? null,
    tlsPort,
    async close() {
      dynoMetrics.close();
      await drains.close();
      await dynoOutput.close();
      logHistory.close();
      await reconciler.stop();
      addonService.close();
      clearInterval(sweepSources);
      await webhooks.close();
      tail.close();
      acme.stop();
      unwatch();
      if (syncTimer) clearTimeout(syncTimer);
      attach.close();
      await rendezvous?.close();
      await runs.close();
      builds.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsServer) {
        tlsServer.closeAllConnections();
        await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      }
      await scheduler.close();
      await queueEvents.close();
      await queue.close();
      redis.disconnect();
      eventsConnection.disconnect();
      db.close();
    },
  };
}
