// The faults of the fault-tolerance suite, each run against a whole platform (fault-platform.ts)
// under constant HTTP load on two apps. Each returns what the table of bench/faults prints and
// what test/faults asserts: requests failed meanwhile, data lost (a release or build lost,
// duplicated or left pending, SQLite damaged) and other broken promises (no error for a push).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { routeTableKey } from '../../common/redis-keys.ts';
import { dynoAddress } from '../../controller/scheduler/docker-dyno.ts';
import type { RouteTable } from '../../common/routes.ts';
import type { FaultPlatform } from '../helpers/fault-platform.ts';
import type { Load } from '../helpers/load.ts';
import { childPids, waitUntil } from '../helpers/platform-process.ts';
import type { PrivateRedis } from '../helpers/private-redis.ts';
import type { PrivateRegistry } from '../helpers/private-registry.ts';
import { errorMessage } from '../../common/errors.ts';

export interface FaultContext {
  p: FaultPlatform;
  load: Load;
  /** The two apps under load; each answers "<app> v<N>" for its release N. */
  apps: [string, string];
  docker: Dockerode;
  redisServer?: PrivateRedis;
  registry?: PrivateRegistry;
}

export interface CaseResult {
  fault: string;
  requests: number;
  failed: number;
  /** Data lost, duplicated, left pending or damaged: one line each (empty: none). */
  lost: string[];
  /** Other promises broken (the push got no error, the platform did not converge). */
  problems: string[];
  notes: string[];
}

type CaseBody = (ctx: FaultContext, out: { problems: string[]; notes: string[] }) => Promise<void>;

interface ReleaseRow { version: number; status: string; error: string | null }

const releasesOf = (p: FaultPlatform, app: string): ReleaseRow[] => p.query<ReleaseRow>(
  'SELECT r.version, r.status, r.error FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.name = ? ORDER BY r.version', app);
const currentVersion = (p: FaultPlatform, app: string): number =>
  releasesOf(p, app).filter((r) => r.status === 'succeeded').at(-1)?.version ?? 0;
const latestBuild = (p: FaultPlatform, app: string): { id: string; status: string; error: string | null } | undefined =>
  p.query<{ id: string; status: string; error: string | null }>(
    'SELECT b.id, b.status, b.error FROM builds b JOIN apps a ON a.id = b.app_id WHERE a.name = ? ORDER BY b.created_at DESC LIMIT 1', app)[0];

export const dynosOf = (ctx: FaultContext, app: string, release?: number): Promise<Dockerode.ContainerInfo[]> => ctx.docker.listContainers({
  filters: { label: [`${ctx.p.label}.app=${app}`, `${ctx.p.label}.type=web`, ...(release ? [`${ctx.p.label}.release=${release}`] : [])] },
});

/** Everything that must hold once the platform has settled: nothing pending, release versions
 *  1..n without gaps or duplicates, SQLite intact. */
export function lostData(p: FaultPlatform, apps: readonly string[]): string[] {
  const lost: string[] = [];
  const pendingBuilds = p.query<{ n: number }>("SELECT COUNT(*) AS n FROM builds WHERE status = 'pending'")[0].n;
  const pendingReleases = p.query<{ n: number }>("SELECT COUNT(*) AS n FROM releases WHERE status = 'pending'")[0].n;
  if (pendingBuilds) lost.push(`${pendingBuilds} build(s) left pending`);
  if (pendingReleases) lost.push(`${pendingReleases} release(s) left pending`);
  for (const app of apps) {
    const versions = releasesOf(p, app).map((r) => r.version);
    if (versions.some((v, i) => v !== i + 1)) lost.push(`${app}: release versions ${versions.join(',')}`);
  }
  const integrity = p.query<{ integrity_check: string }>('PRAGMA integrity_check').map((r) => r.integrity_check).join('; ');
  if (integrity !== 'ok') lost.push(`SQLite: ${integrity}`);
  return lost;
}

export async function runCase(ctx: FaultContext, fault: string, body: CaseBody): Promise<CaseResult> {
  const before = ctx.load.snapshot();
  const out = { problems: [] as string[], notes: [] as string[] };
  try {
    await body(ctx, out);
  } catch (err) {
    out.problems.push(errorMessage(err).split('\n')[0]);
  }
  const after = ctx.load.snapshot();
  return {
    fault, requests: after.requests - before.requests, failed: after.failed - before.failed,
    lost: lostData(ctx.p, ctx.apps), problems: out.problems, notes: out.notes,
  };
}

/** Waits until `app` answers its current release's body through the router. */
async function servesCurrent(ctx: FaultContext, app: string, timeoutMs = 30_000): Promise<void> {
  const want = `${app} v${currentVersion(ctx.p, app)}`;
  await waitUntil(async () => (await ctx.p.viaRouter(app).catch(() => null))?.body === want, `${app} to answer "${want}"`, timeoutMs);
}

/** The next release's body of `app`. */
const nextBody = (ctx: FaultContext, app: string): string => `${app} v${releasesOf(ctx.p, app).length + 1}`;

/** The line of a push's output that says why it failed: the platform's own (" !" remote line) first. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim());
  return lines.filter((l) => /^remote: +!/.test(l)).at(-1) ?? lines.filter((l) => /error|fatal/i.test(l)).at(-1) ?? lines.at(-1) ?? '';
}

export const killPaasdDuringBuild: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  const app = ctx.apps[0];
  const before = releasesOf(p, app).length;
  const push = p.pushVersion(app, nextBody(ctx, app));
  await waitUntil(() => {
    const b = latestBuild(p, app);
    const log = b && b.status === 'pending' ? path.join(p.dataDir, 'builds', `${b.id}.log`) : null;
    return Boolean(log && fs.existsSync(log) && fs.statSync(log).size > 0);
  }, 'the build to run', 90_000);
  await p.killPaasd();
  const result = await push;
  out.notes.push(`push: exit ${result.code}, "${lastLine(result.stderr)}"`);
  if (result.code === 0 || !/error|fatal|hung up/i.test(result.stderr)) out.problems.push('the push got no error');
  await p.startPaasd();
  const build = latestBuild(p, app);
  out.notes.push(`build: ${build?.status} (${build?.error})`);
  if (build?.status !== 'failed' || build.error !== 'build interrupted by a platform restart') out.problems.push(`build is ${build?.status}: ${build?.error}`);
  if (releasesOf(p, app).length !== before) out.problems.push('a release was made from the interrupted build');
  // Its build container, orphaned by the dead builder, is removed by the new paasd.
  await waitUntil(async () => (await ctx.docker.listContainers({ all: true, filters: { label: [`${p.label}.build=${build?.id}`] } })).length === 0,
    'the orphaned build container to be removed', 20_000).catch(() => out.problems.push(`build ${build?.id}: its container is still there`));
  await servesCurrent(ctx, app);
};

export const killPaasdDuringCutover: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  const app = ctx.apps[1];
  const version = releasesOf(p, app).length + 1;
  const push = p.pushVersion(app, nextBody(ctx, app));
  await waitUntil(async () => (await dynosOf(ctx, app, version)).length > 0, `a v${version} dyno`, 90_000);
  await p.killPaasd();
  const result = await push;
  if (result.code === 0) out.problems.push('the push got no error');
  await p.startPaasd();
  const rel = releasesOf(p, app).find((r) => r.version === version);
  out.notes.push(`v${version}: ${rel?.status ?? 'missing'}${rel?.error ? ` (${rel.error})` : ''}`);
  if (!rel) out.problems.push(`release v${version} missing`);
  else if (rel.status === 'failed' && rel.error !== 'release interrupted by a platform restart') out.problems.push(`v${version} failed: ${rel.error}`);
  const current = currentVersion(p, app);
  await waitUntil(async () => {
    const list = await dynosOf(ctx, app);
    return list.length === 1 && list[0].Labels[`${p.label}.release`] === String(current);
  }, `${app} to run only its current release v${current}`, 60_000);
  await servesCurrent(ctx, app);
};

export const killPaasdDuringScale: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  const app = ctx.apps[0];
  const scale = p.api('PATCH', `/apps/${app}/formation`, { updates: [{ type: 'web', quantity: 3 }] }).catch(() => null);
  await waitUntil(async () => (await dynosOf(ctx, app)).length > 1, `a new ${app} dyno`, 60_000);
  await p.killPaasd();
  await scale;
  await p.startPaasd();
  const quantity = p.query<{ quantity: number }>("SELECT f.quantity FROM formation f JOIN apps a ON a.id = f.app_id WHERE a.name = ? AND f.type = 'web'", app)[0].quantity;
  out.notes.push(`formation after restart: web=${quantity}`);
  const redis = new Redis(p.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await waitUntil(async () => {
      const up = (await dynosOf(ctx, app)).filter((c) => c.State === 'running');
      const table = JSON.parse((await redis.get(routeTableKey(p.prefix))) ?? '{"apps":[]}') as RouteTable;
      return up.length === quantity && (table.apps.find((a) => a.app === app)?.backends.length ?? 0) === quantity;
    }, `${app} to run and route ${quantity} web dynos`, 60_000);
  } finally {
    redis.disconnect();
  }
  // Back to one dyno for the cases after this one.
  await p.api('PATCH', `/apps/${app}/formation`, { updates: [{ type: 'web', quantity: 1 }] });
};

export const killRouterWorker: CaseBody = async (ctx, out) => {
  const router = ctx.p.router();
  const before = childPids(router.pid);
  await new Promise((r) => setTimeout(r, 1000));
  process.kill(before[0], 'SIGKILL');
  await waitUntil(() => {
    const fresh = childPids(router.pid).filter((pid) => !before.includes(pid));
    return fresh.length === 1 && router.output().includes(`worker ${fresh[0]} ready`);
  }, 'a replacement router worker', 20_000);
  out.notes.push(`worker ${before[0]} killed, replaced`);
  await new Promise((r) => setTimeout(r, 1000));
};

/** True while `pid` runs (not gone, not a zombie nobody reaped). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** kill -9 of the router's supervisor: its workers serve on as orphans, paasd starts a new
 *  supervisor (router/keeper.ts), whose workers take over; then the orphans finish and exit. */
export const killRouterSupervisor: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  const pid = p.routerPid();
  if (pid === null) throw new Error('no router supervisor runs');
  const workers = childPids(pid);
  await new Promise((r) => setTimeout(r, 1000));
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => (p.routerPid() ?? pid) !== pid, 'paasd to start a new router supervisor', 30_000);
  const fresh = p.routerPid();
  await waitUntil(() => workers.every((w) => !running(w)), 'the orphaned workers to finish and exit', 30_000);
  out.notes.push(`supervisor ${pid} killed; its workers (${workers.join(', ')}) served on until supervisor ${fresh}, started by paasd, took over`);
  if (childPids(fresh ?? 0).length < 2) out.problems.push(`the new supervisor ${fresh} has fewer than two workers`);
  await new Promise((r) => setTimeout(r, 1000));
};

/** Redis killed and started again (AOF, fsync always) while one build runs and another waits in
 *  the queue (PAAS_BUILD_CONCURRENCY=1): both must still build and release. */
export const restartRedis: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  if (!ctx.redisServer) throw new Error('needs a private Redis');
  const [a, b] = ctx.apps;
  const counts = [releasesOf(p, a).length, releasesOf(p, b).length];
  const pushes = [p.pushVersion(a, nextBody(ctx, a)), p.pushVersion(b, nextBody(ctx, b))];
  await waitUntil(() => p.query<{ n: number }>("SELECT COUNT(*) AS n FROM builds WHERE status = 'pending'")[0].n === 2, 'two builds, one queued', 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  await ctx.redisServer.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 2000));
  await ctx.redisServer.start();
  const results = await Promise.all(pushes);
  results.forEach((r, i) => {
    out.notes.push(`push ${i + 1}: exit ${r.code}${r.code ? `, "${lastLine(r.stderr)}"` : ''}`);
    if (r.code !== 0) out.problems.push(`push to ${[a, b][i]} failed: ${lastLine(r.stderr)}`);
  });
  [a, b].forEach((app, i) => { if (releasesOf(p, app).length !== counts[i] + (results[i].code === 0 ? 1 : 0)) out.problems.push(`${app}: releases do not match the pushes`); });
  // The routers resynced: they route the new releases.
  await servesCurrent(ctx, a);
  await servesCurrent(ctx, b);
};

/** The registry is down during a push: the build fails with a clear message, the old release serves. */
export const registryDown: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  if (!ctx.registry) throw new Error('needs a private registry');
  const app = ctx.apps[0];
  const before = releasesOf(p, app).length;
  await ctx.registry.stop();
  try {
    const result = await p.pushVersion(app, nextBody(ctx, app));
    const build = latestBuild(p, app);
    out.notes.push(`push: exit ${result.code}, build ${build?.status}: "${(build?.error ?? '').split('\n')[0].slice(0, 240)}"`);
    if (result.code === 0) out.problems.push('the push succeeded without a registry');
    if (!/registry|127\.0\.0\.1:\d+/i.test(build?.error ?? '')) out.problems.push(`unclear build error: ${build?.error}`);
    if (releasesOf(p, app).length !== before) out.problems.push('a release was recorded');
    await servesCurrent(ctx, app);
  } finally {
    await ctx.registry.start();
  }
};

/** The disk is nearly full (PAAS_MIN_FREE_DISK_MB above the free space): a push is refused before
 *  anything is written; then the threshold goes back. */
export const diskFull: CaseBody = async (ctx, out) => {
  const { p } = ctx;
  const app = ctx.apps[1];
  const builds = p.query<{ n: number }>('SELECT COUNT(*) AS n FROM builds')[0].n;
  await p.restartPaasd({ PAAS_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) });
  try {
    const result = await p.pushVersion(app, nextBody(ctx, app));
    out.notes.push(`push: exit ${result.code}, "${lastLine(result.stderr)}"`);
    if (result.code === 0 || !/Build refused: only \d+ MB free/.test(result.stderr)) out.problems.push('the push was not refused with the free space');
    if (p.query<{ n: number }>('SELECT COUNT(*) AS n FROM builds')[0].n !== builds) out.problems.push('a build was recorded');
    await servesCurrent(ctx, app);
  } finally {
    await p.restartPaasd({});
  }
};

/** dockerd restarted (SIGTERM, started again): dynos come back and the router learns their new
 *  addresses. It restarts the machine's shared dockerd: run only when nothing else uses it. */
export const restartDockerd: CaseBody = async (ctx, out) => {
  const pid = Number(fs.readFileSync('/var/run/docker.pid', 'utf8').trim());
  const addressOf = (c: Dockerode.ContainerInfo): string => dynoAddress(c.HostConfig.NetworkMode, c.NetworkSettings.Networks)?.host ?? 'none';
  const before = new Map<string, string>();
  for (const app of ctx.apps) for (const c of await dynosOf(ctx, app)) before.set(app, addressOf(c));
  const stoppedAt = Date.now();
  const since = (): string => `${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`;
  process.kill(pid, 'SIGTERM');
  await waitUntil(() => !fs.existsSync(`/proc/${pid}`), 'dockerd to stop', 60_000);
  out.notes.push(`dockerd stopped after ${since()}`);
  const log = fs.openSync(path.join(ctx.p.dataDir, 'dockerd.log'), 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  await waitUntil(async () => ctx.docker.ping().then(() => true, () => false), 'dockerd to answer', 60_000);
  out.notes.push(`answering after ${since()}`);
  for (const app of ctx.apps) {
    await waitUntil(async () => (await dynosOf(ctx, app)).some((c) => c.State === 'running'), `${app} dynos back`, 120_000);
    await servesCurrent(ctx, app, 120_000);
    out.notes.push(`${app} served after ${since()}, address ${before.get(app)} -> ${addressOf((await dynosOf(ctx, app))[0])}`);
  }
};
