// Platform configuration, read once from the environment and passed down explicitly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Config {
  /** Root of all persistent state (store, repos, build logs, caches). */
  dataDir: string;
  /** Address the API + git server binds to. */
  apiBind: string;
  apiPort: number;
  /** Public base URL of the API and git server (no trailing slash). */
  apiUrl: string;
  /** Heroku's rendezvous (TLS) for attached `heroku run`, on apiBind; -1 disables it, 0 picks a port. */
  rendezvousPort: number;
  /** Host name put in rendezvous attach URLs (empty: the host of apiUrl). */
  rendezvousHost: string;
  /** The API and git server over HTTPS too, on apiBind (for `heroku git:remote`'s https remotes); -1: off. */
  apiTlsPort: number;
  /** PEM files of the certificate the rendezvous and API TLS listeners present; empty: self-signed
   *  in dataDir/api-tls (controller/rendezvous/api-certificate.ts). */
  apiTlsCertFile: string;
  apiTlsKeyFile: string;
  /** Router HTTP listener. */
  routerBind: string;
  routerPort: number;
  /** Router HTTPS listener (SNI), on routerBind; -1 disables it. */
  httpsPort: number;
  /** PEM files of the default certificate (normally for *.<domain>); empty: self-signed in dataDir/tls. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Router worker processes sharing the listeners (bin/paas-router.ts runs at least 2). */
  routerWorkers: number;
  /** Largest request body the router forwards (bytes), else 413. */
  routerMaxBodyBytes: number;
  /** Seconds a client has to send a whole request, body included (408 after). */
  routerRequestTimeout: number;
  /** Open client connections per router worker, and per client address per worker (0: no cap). */
  routerMaxConnections: number;
  routerMaxConnectionsPerIp: number;
  /** Seconds a websocket may stay silent both ways before the router closes it (0: never). */
  routerWsIdleTimeout: number;
  /** Peers (addresses or CIDR ranges) whose X-Forwarded-*, Forwarded and X-Real-IP are believed. */
  trustedProxies: string[];
  /** paasd starts the router (bin/paas-router.ts) again whenever it is not running (router/keeper.ts). */
  routerKeeper: boolean;
  /** Router admin listener (/metrics) on 127.0.0.1; -1 disables it. */
  routerAdminPort: number;
  /** ACME directory for automatic certificates, e.g. Let's Encrypt's. */
  acmeDirectory: string;
  acmeEmail: string;
  /** Extra CA (PEM file) trusted for the ACME directory's HTTPS (a test CA such as pebble). */
  acmeCaFile: string;
  /** Apps answer at <app>.<domain>. */
  domain: string;
  /** With the password of PAAS_REDIS_PASSWORD_FILE filled in when the URL has none. */
  redisUrl: string;
  /** Prefix for every Redis key the platform owns (queues, route table, log streams). */
  redisPrefix: string;
  /** host:port of the private registry. */
  registry: string;
  /** Credentials for the registry (PAAS_REGISTRY_AUTH_FILE, `user:password`); null: no auth. */
  registryAuth: RegistryAuth | null;
  /** Images a Dockerfile may build FROM besides the stack images and the app's own images. */
  dockerfileImages: string[];
  /** Stack run image: buildpack-built apps run on it (builder/stack.ts). */
  stackImage: string;
  /** Stack build image: buildpacks run in it (builder/stack.ts). */
  stackBuildImage: string;
  dockerSocket: string;
  /** Socket of the build engine: a second dockerd with userns-remap (bin/setup starts it) that
   *  runs Dockerfile builds, so root in a RUN step is an unprivileged uid of the host. null
   *  (PAAS_BUILD_DOCKER_SOCKET=off): Dockerfile builds run on dockerSocket's engine as root. */
  buildDockerSocket: string | null;
  /** Where dynos run: `docker` (the local engine) or `swarm` (a Docker Swarm cluster managed
   *  by the local engine; docs/scale-out.md). */
  scheduler: 'docker' | 'swarm';
  /** Address the swarm's manager advertises to other nodes when paasd initialises the swarm
   *  (empty: the address of the interface with the default route). */
  swarmAdvertiseAddr: string;
  /** Socket of the swarm manager's engine when it is not the local engine (dockerSocket):
   *  paasd then runs apart from the manager, and reaches the manager's tasks at its node
   *  address instead of loopback. Empty: the local engine is the manager. */
  swarmManagerSocket: string;
  /** Label put on every container/image/network the platform creates. */
  label: string;
  /** Default memory limit for app containers, in MiB. */
  dynoMemoryMb: number;
  /** CPU quota of each dyno (CPUs, may be fractional) and its weight under contention. */
  dynoCpus: number;
  dynoCpuShares: number;
  /** CPU quota and weight of each build. */
  buildCpus: number;
  buildCpuShares: number;
  /** Seconds a new web container has to answer its first HTTP request. */
  bootTimeout: number;
  /** Default path of the HTTP health check of web dynos (per-app setting overrides it). */
  healthCheckPath: string;
  /** Default seconds a retired dyno gets to finish in-flight requests, then again between SIGTERM and SIGKILL. */
  drainGrace: number;
  buildConcurrency: number;
  /** Whether apps may use buildpacks from host paths or file:// git URLs. Off by default: it
   *  would let any app read host directories (other apps' repositories) into its build. */
  allowLocalBuildpacks: boolean;
  /** Builds are refused while the data dir's or Docker's disk has less free space (MiB); 0: never. */
  minFreeDiskMb: number;
  /** IPv4 pool the add-on networks take a /26 each from (controller/services/addon-subnets.ts). */
  addonSubnets: string;
  /** API requests per account and hour (Heroku: 4500). */
  apiRateLimit: number;
  /** Whether tenant-given URLs (source blobs, buildpacks) may reach loopback, private and
   *  link-local addresses (common/url-policy.ts). Off: they would reach the platform's services. */
  allowPrivateUrls: boolean;
  /** Host names tenant URLs may reach even when they resolve to private addresses. */
  privateUrlHosts: string[];
  /** When not empty, custom domains must be one of these names or under one. */
  customDomainSuffixes: string[];
  /** Apps a user (not an admin) may own. */
  maxAppsPerUser: number;
  /** Each app's kept log (its Redis stream) is trimmed to about this many bytes of memory. */
  logHistoryBytes: number;
  /** Log drains an app may have. */
  maxLogDrains: number;
  /** Each log drain's buffer (lines and bytes) while it is slow or down; beyond, the oldest are dropped. */
  logDrainBufferLines: number;
  logDrainBufferBytes: number;
  /** Extra CA (PEM file) trusted for syslog+tls and https drains, beside the system's. */
  logDrainCaFile: string;
  /** Bearer token the router's admin /metrics requires when set (else it is loopback only). */
  metricsToken: string;
  /** Address of the router's admin listener; anything but loopback requires metricsToken. */
  routerAdminBind: string;
  /** Builds of one user (not an admin) queued or running at once. */
  maxBuildsPerUser: number;
  /** Largest source, in bytes: an upload (PUT to a sources put_url; 413 beyond), a git push's
   *  pack and its tree once unpacked (the push is refused with a `remote:` line). */
  sourceMaxBytes: number;
  /** Seconds a sources put_url/get_url stays valid; unused uploads are removed after it. */
  sourceUrlTtl: number;
  /** Delay before a failed webhook delivery's first retry (ms); doubled for each next one. */
  webhookRetryBaseMs: number;
  /** Seconds a one-off dyno may run before the platform stops it (Heroku: 24 h); also the
   *  largest time_to_live a run may ask for. */
  runTimeLimit: number;
  /** Seconds a dashboard login lasts (the session is then gone from Redis). */
  dashboardSessionTtl: number;
}

function schedulerKind(value: string | undefined): Config['scheduler'] {
  if (value === undefined || value === '' || value === 'docker') return 'docker';
  if (value === 'swarm') return 'swarm';
  throw new Error(`PAAS_SCHEDULER must be docker or swarm, got ${JSON.stringify(value)}`);
}

export interface RegistryAuth { username: string; password: string }

function num(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** A secret file's first line, or null when there is no such file. */
function readSecret(file: string): string | null {
  try {
    const line = fs.readFileSync(file, 'utf8').split('\n')[0].trim();
    return line === '' ? null : line;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The Redis URL with the password of `file` (written by bin/setup at Redis' first start),
 *  unless the URL carries credentials itself. */
export function redisUrlWithPassword(url: string, file: string): string {
  const u = new URL(url);
  if (u.password !== '' || u.username !== '') return url;
  const password = readSecret(file);
  if (password === null) return url;
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function readRegistryAuth(file: string): RegistryAuth | null {
  const line = readSecret(file);
  if (line === null) return null;
  const colon = line.indexOf(':');
  if (colon <= 0) throw new Error(`${file}: expected user:password`);
  return { username: line.slice(0, colon), password: line.slice(colon + 1) };
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n)) throw new Error(`expected an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Where bin/setup starts the build engine (exec-root /run/paas-build-engine). */
export const DEFAULT_BUILD_DOCKER_SOCKET = '/run/paas-build-engine/docker.sock';
const flag = (value: string | undefined): boolean => value === '1' || value === 'true';
const list = (value: string | undefined): string[] => (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.PAAS_DATA_DIR || path.join(os.homedir(), '.paas'));
  const apiPort = int(env.PAAS_API_PORT, 7000);
  const apiBind = env.PAAS_API_BIND || '127.0.0.1';
  const routerPort = int(env.PAAS_HTTP_PORT, 8080);
  return {
    dataDir,
    apiBind,
    apiPort,
    apiUrl: (env.PAAS_API_URL || `http://127.0.0.1:${apiPort}`).replace(/\/+$/, ''),
    rendezvousPort: int(env.PAAS_RENDEZVOUS_PORT, 7001),
    rendezvousHost: env.PAAS_RENDEZVOUS_HOST || '',
    apiTlsPort: int(env.PAAS_API_TLS_PORT, -1),
    apiTlsCertFile: env.PAAS_API_TLS_CERT || '',
    apiTlsKeyFile: env.PAAS_API_TLS_KEY || '',
    routerBind: env.PAAS_HTTP_BIND || '127.0.0.1',
    routerPort,
    httpsPort: int(env.PAAS_HTTPS_PORT, 8443),
    tlsCertFile: env.PAAS_TLS_CERT || '',
    tlsKeyFile: env.PAAS_TLS_KEY || '',
    routerWorkers: int(env.PAAS_ROUTER_WORKERS, Math.min(os.availableParallelism(), 4)),
    routerMaxBodyBytes: int(env.PAAS_ROUTER_MAX_BODY, 100 * 1024 * 1024),
    routerRequestTimeout: int(env.PAAS_ROUTER_REQUEST_TIMEOUT, 120),
    routerMaxConnections: int(env.PAAS_ROUTER_MAX_CONNECTIONS, 10_000),
    routerMaxConnectionsPerIp: int(env.PAAS_ROUTER_MAX_CONNECTIONS_PER_IP, 1_000),
    routerWsIdleTimeout: int(env.PAAS_ROUTER_WS_IDLE_TIMEOUT, 55),
    trustedProxies: (env.PAAS_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    routerAdminPort: int(env.PAAS_ROUTER_ADMIN_PORT, 9180),
    routerKeeper: flag(env.PAAS_ROUTER_KEEPER),
    acmeDirectory: env.PAAS_ACME_DIRECTORY || 'https://acme-v02.api.letsencrypt.org/directory',
    acmeEmail: env.PAAS_ACME_EMAIL || '',
    acmeCaFile: env.PAAS_ACME_CA_FILE || '',
    domain: env.PAAS_DOMAIN || 'localhost',
    redisUrl: redisUrlWithPassword(env.PAAS_REDIS_URL || 'redis://127.0.0.1:6379/0', env.PAAS_REDIS_PASSWORD_FILE || path.join(dataDir, 'redis', 'password')),
    redisPrefix: env.PAAS_REDIS_PREFIX || 'paas',
    registry: env.PAAS_REGISTRY || '127.0.0.1:5000',
    registryAuth: readRegistryAuth(env.PAAS_REGISTRY_AUTH_FILE || path.join(dataDir, 'registry', 'auth')),
    dockerfileImages: (env.PAAS_DOCKERFILE_IMAGES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    stackImage: env.PAAS_STACK_IMAGE || 'paas/stack:1',
    stackBuildImage: env.PAAS_STACK_BUILD_IMAGE || `${env.PAAS_STACK_IMAGE || 'paas/stack:1'}-build`,
    dockerSocket: env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock',
    buildDockerSocket: env.PAAS_BUILD_DOCKER_SOCKET === 'off' ? null : env.PAAS_BUILD_DOCKER_SOCKET || DEFAULT_BUILD_DOCKER_SOCKET,
    scheduler: schedulerKind(env.PAAS_SCHEDULER),
    swarmAdvertiseAddr: env.PAAS_SWARM_ADVERTISE_ADDR || '',
    swarmManagerSocket: env.PAAS_SWARM_MANAGER_SOCKET || '',
    label: env.PAAS_LABEL || 'paas',
    dynoMemoryMb: int(env.PAAS_DYNO_MEMORY_MB, 512),
    dynoCpus: num(env.PAAS_DYNO_CPUS, 1),
    dynoCpuShares: int(env.PAAS_DYNO_CPU_SHARES, 1024),
    buildCpus: num(env.PAAS_BUILD_CPUS, 2),
    buildCpuShares: int(env.PAAS_BUILD_CPU_SHARES, 512),
    bootTimeout: int(env.PAAS_BOOT_TIMEOUT, 60),
    healthCheckPath: env.PAAS_HEALTH_CHECK_PATH || '/',
    drainGrace: int(env.PAAS_DRAIN_GRACE, 30),
    buildConcurrency: int(env.PAAS_BUILD_CONCURRENCY, 2),
    apiRateLimit: int(env.PAAS_API_RATE_LIMIT, 4500),
    minFreeDiskMb: int(env.PAAS_MIN_FREE_DISK_MB, 1024),
    addonSubnets: env.PAAS_ADDON_SUBNETS || '10.213.0.0/16',
    allowLocalBuildpacks: flag(env.PAAS_ALLOW_LOCAL_BUILDPACKS),
    allowPrivateUrls: flag(env.PAAS_ALLOW_PRIVATE_URLS),
    privateUrlHosts: list(env.PAAS_PRIVATE_URL_HOSTS),
    customDomainSuffixes: list(env.PAAS_CUSTOM_DOMAIN_SUFFIXES),
    maxAppsPerUser: int(env.PAAS_MAX_APPS_PER_USER, 100),
    logHistoryBytes: Math.round(num(env.PAAS_LOG_HISTORY_MB, 5) * 1024 * 1024),
    maxLogDrains: int(env.PAAS_MAX_LOG_DRAINS, 5),
    logDrainBufferLines: int(env.PAAS_LOG_DRAIN_BUFFER_LINES, 1024),
    logDrainBufferBytes: int(env.PAAS_LOG_DRAIN_BUFFER_BYTES, 1024 * 1024),
    logDrainCaFile: env.PAAS_LOG_DRAIN_CA_FILE || '',
    metricsToken: env.PAAS_METRICS_TOKEN || '',
    routerAdminBind: env.PAAS_ROUTER_ADMIN_BIND || '127.0.0.1',
    maxBuildsPerUser: int(env.PAAS_MAX_BUILDS_PER_USER, 3),
    sourceMaxBytes: int(env.PAAS_SOURCE_MAX_BYTES, 512 * 1024 * 1024),
    sourceUrlTtl: int(env.PAAS_SOURCE_URL_TTL, 3600),
    webhookRetryBaseMs: int(env.PAAS_WEBHOOK_RETRY_BASE_MS, 30_000),
    runTimeLimit: int(env.PAAS_RUN_TIME_LIMIT, 24 * 60 * 60),
    dashboardSessionTtl: int(env.PAAS_DASHBOARD_SESSION_TTL, 8 * 60 * 60),
  };
}

/** Public URL an app answers at through the router. */
export function webUrl(config: Config, app: string): string {
  const port = config.routerPort === 80 ? '' : `:${config.routerPort}`;
  return `http://${app}.${config.domain}${port}/`;
}

export function gitUrl(config: Config, app: string): string {
  return `${config.apiUrl}/${app}.git`;
}
