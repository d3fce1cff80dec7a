// kill -9 of paasd (a real process, bin/paasd.ts) while a build runs, during a release cutover
// and during a scale, under constant HTTP load on two apps through the router, which is its own
// process (bin/paas-router.ts) and must keep serving the whole time. After each restart the
// platform converges: no release lost or duplicated or left pending, an interrupted build is
// failed with a clear reason, the push got an error, and dynos match the formation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { routeTableKey } from '../../common/redis-keys.ts';
import type { RouteTable } from '../../common/routes.ts';
import { Redis } from 'ioredis';
import { startFaultPlatform, type FaultPlatform } from '../helpers/fault-platform.ts';
import { describeLoad, startLoad, type Load, type LoadStats } from '../helpers/load.ts';
import { waitUntil } from '../helpers/platform-process.ts';

const ALPHA = `falpha-${process.pid}`;
const BETA = `fbeta-${process.pid}`;
const docker = new Dockerode({ socketPath: process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock' });
let p: FaultPlatform;
let load: Load;
let redis: Redis;
let failedBefore = 0;

interface ReleaseRow { version: number; status: string; error: string | null }
const releases = (app: string): ReleaseRow[] => p.query<ReleaseRow>(
  'SELECT r.version, r.status, r.error FROM releases r JOIN apps a ON a.id = r.app_id WHERE a.name = ? ORDER BY r.version', app);
const pending = (): number => p.query<{ n: number }>(
  "SELECT (SELECT COUNT(*) FROM builds WHERE status = 'pending') + (SELECT COUNT(*) FROM releases WHERE status = 'pending') AS n")[0].n;
const dynos = async (app: string, release?: number): Promise<Dockerode.ContainerInfo[]> => docker.listContainers({
  filters: { label: [`${p.label}.app=${app}`, `${p.label}.type=web`, ...(release ? [`${p.label}.release=${release}`] : [])] },
});

/** No release lost, duplicated or pending: versions 1..n, each succeeded or failed. */
function assertReleasesConverged(app: string): ReleaseRow[] {
  const rows = releases(app);
  assert.deepEqual(rows.map((r) => r.version), rows.map((_, i) => i + 1), `versions of ${app}: ${JSON.stringify(rows)}`);
  for (const r of rows) assert.ok(r.status === 'succeeded' || r.status === 'failed', `${app} v${r.version} is ${r.status}`);
  return rows;
}

/** The load since the last check must not have failed once: the router served throughout. */
function assertServedThroughout(what: string): LoadStats {
  const stats = load.snapshot();
  assert.equal(stats.failed - failedBefore, 0, `${what}: ${describeLoad(stats)}`);
  failedBefore = stats.failed;
  return stats;
}

before(async () => {
  // PAAS_FAULT_LABEL: a label of its own, so that no other test's cleanup removes its dynos
  // while engineers run tests side by side (CI runs one file at a time: the default is fine).
  p = await startFaultPlatform({ label: process.env.PAAS_FAULT_LABEL });
  redis = new Redis(process.env.PAAS_REDIS_URL || 'redis://127.0.0.1:6379/0');
  const pushes = await Promise.all([p.deploy(ALPHA, 'alpha v1'), p.deploy(BETA, 'beta v1')]);
  for (const push of pushes) assert.equal(push.code, 0, push.stderr);
  await waitUntil(async () => (await p.viaRouter(ALPHA)).body === 'alpha v1' && (await p.viaRouter(BETA)).body === 'beta v1', 'both apps', 10_000);
  load = startLoad({ port: p.routerPort, hosts: [`${ALPHA}.localhost`, `${BETA}.localhost`], rate: 40, lanes: 4, maxMs: 240_000 });
});

after(async () => {
  const stats = await load?.stop();
  if (stats) console.log(`# load over the whole file: ${describeLoad(stats)}`);
  redis?.disconnect();
  await p?.stop();
});

test('kill -9 of paasd while a build runs: the build is failed with a clear reason, the push errs, the apps keep serving', async () => {
  const push = p.pushVersion(ALPHA, 'alpha v2');
  // The build has started once its log has lines.
  await waitUntil(() => {
    const b = p.query<{ id: string }>("SELECT b.id FROM builds b JOIN apps a ON a.id = b.app_id WHERE a.name = ? AND b.status = 'pending'", ALPHA)[0];
    const log = b && path.join(p.dataDir, 'builds', `${b.id}.log`);
    return Boolean(log && fs.existsSync(log) && fs.statSync(log).size > 0);
  }, 'the build to run', 60_000);
  await p.killPaasd();
  const result = await push;
  assert.notEqual(result.code, 0, 'the push failed');
  assert.match(result.stderr, /error|fatal|hung up/i);
  await p.startPaasd();

  assert.equal(pending(), 0);
  const build = p.query<{ status: string; error: string }>('SELECT b.status, b.error FROM builds b JOIN apps a ON a.id = b.app_id WHERE a.name = ? ORDER BY b.created_at DESC LIMIT 1', ALPHA)[0];
  assert.deepEqual({ ...build }, { status: 'failed', error: 'build interrupted by a platform restart' });
  assert.deepEqual(assertReleasesConverged(ALPHA).map((r) => r.status), ['succeeded']);
  assert.equal((await p.viaRouter(ALPHA)).body, 'alpha v1');
  assertServedThroughout('kill during a build');
});

test('kill -9 of paasd during a release cutover: the release ends failed or succeeded, never pending; dynos converge; the apps keep serving', async () => {
  const push = p.pushVersion(BETA, 'beta v2');
  // The cutover is under way once a dyno of the new release exists (it boots, then is health-checked).
  await waitUntil(async () => (await dynos(BETA, 2)).length > 0, 'a v2 dyno', 90_000);
  await p.killPaasd();
  const result = await push;
  assert.notEqual(result.code, 0, 'the push failed');
  await p.startPaasd();

  assert.equal(pending(), 0);
  const rows = assertReleasesConverged(BETA);
  assert.equal(rows.length, 2);
  const current = rows.filter((r) => r.status === 'succeeded').at(-1)!;
  if (rows[1].status === 'failed') assert.equal(rows[1].error, 'release interrupted by a platform restart');
  // The reconciler (run at start) leaves only the current release's dyno, and the router has it.
  await waitUntil(async () => {
    const list = await dynos(BETA);
    return list.length === 1 && list[0].Labels[`${p.label}.release`] === String(current.version);
  }, 'beta to converge on its current release', 60_000);
  await waitUntil(async () => (await p.viaRouter(BETA)).body === `beta v${current.version}`, 'beta to answer its current release', 10_000);
  assertServedThroughout('kill during a cutover');
});

test('kill -9 of paasd during a scale: dynos and routes converge to the formation; the apps keep serving', async () => {
  const scale = p.api('PATCH', `/apps/${ALPHA}/formation`, { updates: [{ type: 'web', quantity: 3 }] }).catch(() => null);
  await waitUntil(async () => (await dynos(ALPHA)).length > 1, 'a new alpha dyno', 60_000);
  await p.killPaasd();
  await scale;
  await p.startPaasd();

  const quantity = p.query<{ quantity: number }>("SELECT f.quantity FROM formation f JOIN apps a ON a.id = f.app_id WHERE a.name = ? AND f.type = 'web'", ALPHA)[0].quantity;
  assert.ok(quantity === 1 || quantity === 3, `formation ${quantity}`);
  await waitUntil(async () => {
    const up = (await dynos(ALPHA)).filter((c) => c.State === 'running');
    const table = JSON.parse((await redis.get(routeTableKey(p.prefix))) ?? '{"apps":[]}') as RouteTable;
    const routed = table.apps.find((a) => a.app === ALPHA)?.backends.length ?? 0;
    return up.length === quantity && routed === quantity;
  }, `alpha to run and route ${quantity} web dynos`, 60_000);
  assert.equal(pending(), 0);
  assertServedThroughout('kill during a scale');
});
