// kill -9 of paasd (a real process, bin/paasd.ts) while a build runs, during a release cutover
// and during a scale, under constant HTTP load on two apps through the router, which is its own
// process (bin/paas-router.ts) and must keep serving the whole time: zero failed requests. After
// each restart the platform converges: no release lost, duplicated or left pending, an
// interrupted build failed with a clear reason, the push got an error, dynos match the formation.
// kill -9 of the router's supervisor: its workers serve on and paasd starts a new supervisor
// that takes over from them, again with zero failed requests.
// The cases live in fault-cases.ts; bench/faults runs them (and the slow ones) and prints a table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { startFaultPlatform } from '../helpers/fault-platform.ts';
import { describeLoad, startLoad } from '../helpers/load.ts';
import { waitUntil } from '../helpers/platform-process.ts';
import { killPaasdDuringBuild, killPaasdDuringCutover, killPaasdDuringScale, killRouterSupervisor, runCase, type CaseResult, type FaultContext } from './fault-cases.ts';

let ctx: FaultContext;

before(async () => {
  // PAAS_FAULT_LABEL: a label of its own, so that no other test's cleanup removes its dynos
  // while engineers run tests side by side (CI runs one file at a time: the default is fine).
  const p = await startFaultPlatform({ label: process.env.PAAS_FAULT_LABEL });
  const apps: [string, string] = [`falpha-${process.pid}`, `fbeta-${process.pid}`];
  const pushes = await Promise.all(apps.map((app) => p.deploy(app, `${app} v1`)));
  for (const push of pushes) assert.equal(push.code, 0, push.stderr);
  for (const app of apps) await waitUntil(async () => (await p.viaRouter(app)).body === `${app} v1`, app, 10_000);
  const load = startLoad({ port: p.routerPort, hosts: apps.map((a) => `${a}.localhost`), rate: 40, lanes: 4, postEvery: 4, maxMs: 240_000 });
  ctx = { p, load, apps, docker: new Dockerode({ socketPath: process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock' }) };
});

after(async () => {
  const stats = await ctx?.load.stop();
  if (stats) console.log(`# load over the whole file: ${describeLoad(stats)}`);
  await ctx?.p.stop();
});

function assertClean(r: CaseResult): void {
  const what = `${r.fault}: ${JSON.stringify({ lost: r.lost, problems: r.problems, notes: r.notes })}`;
  assert.deepEqual(r.problems, [], what);
  assert.deepEqual(r.lost, [], what);
  assert.ok(r.requests > 0, what);
  assert.equal(r.failed, 0, `${what} ${describeLoad(ctx.load.snapshot())}`);
}

test('kill -9 of paasd while a build runs: the build is failed with a clear reason, the push errs, the apps keep serving', async () => {
  assertClean(await runCase(ctx, 'kill -9 paasd during a build', killPaasdDuringBuild));
});

test('kill -9 of paasd during a release cutover: the release ends failed or succeeded, never pending; dynos converge; the apps keep serving', async () => {
  assertClean(await runCase(ctx, 'kill -9 paasd during a cutover', killPaasdDuringCutover));
});

test('kill -9 of paasd during a scale: dynos and routes converge to the formation; the apps keep serving', async () => {
  assertClean(await runCase(ctx, 'kill -9 paasd during a scale', killPaasdDuringScale));
});

test('kill -9 of the router supervisor: its workers serve on, paasd starts a new one that takes over, no request fails', async () => {
  assertClean(await runCase(ctx, 'kill -9 of the router supervisor', killRouterSupervisor));
});
