// The swarm manager's dockerd restarted under load (issue 12's last fault): a swarm made of
// engines in containers only (helpers/container-swarm.ts: a manager and a worker; the host's
// engine, shared by everyone, joins no swarm and is never restarted), a whole platform as an
// operator runs it (paasd and the router as processes, PAAS_SCHEDULER=swarm, the scheduler on
// the manager container's engine through PAAS_SWARM_MANAGER_SOCKET; builds stay on the host's
// engine and push to the registry, from which the nodes pull). A Dockerfile app runs web.1 and
// web.2, one on each node; under constant GET and POST load through the router the manager's
// dockerd is stopped (SIGTERM, then in the second test SIGKILL; its dynos die with it:
// live-restore does not exist in swarm mode) and started again. Meanwhile the driver logged the
// outage once and took the manager's dyno out of the routes; then it follows the swarm again,
// every dyno runs and is routed (router table = the web containers running on the nodes),
// `paas ps` and the formation are right, no release is lost or duplicated, a deploy after the
// restart works; a GET fails only if in flight when the dyno dies. Prints a fault-table row per
// restart. Requests go only to loopback (the router) and, from the platform, to the node
// containers this test made.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { routeTableKey } from '../../common/redis-keys.ts';
import type { RouteTable } from '../../common/routes.ts';
import { startContainerSwarm, type ContainerSwarm } from '../helpers/container-swarm.ts';
import { execIn } from '../helpers/swarm-cluster.ts';
import { startFaultPlatform, type FaultPlatform } from '../helpers/fault-platform.ts';
import { paas } from '../helpers/git.ts';
import { describeLoad, startLoad, type LoadStats } from '../helpers/load.ts';
import { waitUntil } from '../helpers/platform-process.ts';
import { lostData } from './fault-cases.ts';

interface DynoJson { name: string; state: string; node: string | null; release: { version: number } }

/** Each dyno answers GET with "<body> <dyno name>", and POST /cgi-bin/post with "posted". */
const dockerfile = (body: string): string => 'FROM paas/busybox:test\n'
  + 'RUN mkdir -p /srv/cgi-bin && printf \'#!/bin/sh\\nhead -c "$CONTENT_LENGTH" >/dev/null\\nprintf "Content-Type: text/plain\\\\r\\\\nContent-Length: 7\\\\r\\\\n\\\\r\\\\nposted\\\\n"\\n\' > /srv/cgi-bin/post && chmod 755 /srv/cgi-bin/post\n'
  + `CMD ["sh", "-c", "mkdir -p /tmp/w && cp -r /srv/cgi-bin /tmp/w/ && echo \\"${body} $DYNO\\" > /tmp/w/index.html && exec httpd -f -p $PORT -h /tmp/w"]\n`;

const docker = new Dockerode();
const app = `mgr-restart-${process.pid}`;
let cluster: ContainerSwarm | null = null;
let p: FaultPlatform | null = null;
let redis: Redis | null = null;

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => undefined });
  cluster = await startContainerSwarm({ docker, workers: 1, registry: process.env.PAAS_REGISTRY ?? '127.0.0.1:5000', baseImage: 'paas/stack:1-build' });
  p = await startFaultPlatform({
    env: { PAAS_SCHEDULER: 'swarm', PAAS_SWARM_MANAGER_SOCKET: cluster.manager.socket, PAAS_DOCKERFILE_IMAGES: 'paas/busybox:test', PAAS_HEALTH_CHECK_PATH: '/' },
  });
  redis = new Redis(p.redisUrl, { maxRetriesPerRequest: 1 });
  const push = await p.deploy(app, 'v1', { Dockerfile: dockerfile('v1') });
  assert.equal(push.code, 0, push.stderr);
  const scaled = await paas(['ps:scale', 'web=2', '-a', app], p.userEnv);
  assert.equal(scaled.code, 0, scaled.stderr);
  await waitUntil(() => webUp(1), 'web.1 and web.2 up', 30_000);
});

after(async () => {
  redis?.disconnect();
  try {
    await p?.stop();
  } finally {
    await cluster?.stop();
  }
  assert.equal(((await docker.info()) as { Swarm: { LocalNodeState: string } }).Swarm.LocalNodeState, 'inactive', 'the host engine is in no swarm');
});

const platform = (): FaultPlatform => p!;
const dynos = async (): Promise<DynoJson[]> => (await platform().api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body;
const webUp = async (version: number): Promise<boolean> => {
  const ds = (await dynos()).filter((d) => d.name.startsWith('web.'));
  return ds.map((d) => `${d.name} ${d.state} v${d.release.version}`).sort().join(',') === `web.1 up v${version},web.2 up v${version}`;
};

/** The router's backends for the app (node address:port). */
async function routed(): Promise<string[]> {
  const table = JSON.parse((await redis!.get(routeTableKey(platform().prefix))) ?? '{"apps":[]}') as RouteTable;
  return (table.apps.find((a) => a.app === app)?.backends ?? []).map((b) => `${b.host}:${b.port}`).sort();
}

/** The router's backends for the app, and its running web containers as each node's own
 *  engine lists them (node address:published port). Not Swarm's task list: after the manager's
 *  restart it may no longer report a worker task's port (swarm-state.ts, PortBook). */
async function routedAndRunning(): Promise<{ routed: string[]; running: string[] }> {
  const running: string[] = [];
  for (const node of [cluster!.manager, ...cluster!.workers]) {
    const ps = await execIn(docker, node.containerId, [
      'docker', 'ps', '--filter', `label=${platform().label}.app=${app}`, '--filter', `label=${platform().label}.type=web`, '--format', '{{.Ports}}']);
    for (const line of ps.output.split('\n')) {
      const port = /:(\d+)->/.exec(line)?.[1];
      if (port) running.push(`${node.addr}:${port}`);
    }
  }
  return { routed: await routed(), running: running.sort() };
}

/** One dyno on each node: a deploy may put both new dynos on one node (Swarm spreads by the
 *  tasks on each node, old ones included); a restart of one of them places it again. */
async function spread(version: number): Promise<DynoJson[]> {
  for (let attempt = 0; ; attempt++) {
    const ds = await dynos();
    const crowded = ds.filter((d) => d.node === 'swarm-manager');
    if (crowded.length === 1) return ds;
    assert.ok(attempt < 3, `one dyno on each node: ${ds.map((d) => `${d.name}@${d.node}`).join(', ')}`);
    const moved = crowded.length ? crowded[0] : ds[0];
    const restarted = await paas(['ps:restart', moved.name, '-a', app], platform().userEnv);
    assert.equal(restarted.code, 0, restarted.stderr);
    await waitUntil(() => webUp(version), 'web.1 and web.2 up after a restart', 30_000);
  }
}

interface Outcome { row: string; gets: LoadStats; posts: LoadStats }

/** Restarts the manager's dockerd under load (the app's dynos on both nodes), waits until the
 *  platform converged, checks it and deploys `version`; resolves with the fault-table row. */
async function restartUnderLoad(t: TestContext, signal: 'TERM' | 'KILL', version: number): Promise<Outcome> {
  const before = await spread(version - 1);
  const onManager = before.filter((d) => d.node === 'swarm-manager').map((d) => d.name);
  const logged = (re: RegExp): number => platform().paasd().output().match(re)?.length ?? 0;
  const [outages, returns] = [logged(/cannot read the swarm/g), logged(/the Docker engine answers again: following the swarm/g)];

  // GETs, which the router retries on another dyno when a connection fails, and POSTs, which it never retries.
  const host = `${app}.localhost`;
  const getLoad = startLoad({ port: platform().routerPort, hosts: [host], rate: 40, lanes: 4, maxMs: 120_000 });
  const postLoad = startLoad({ port: platform().routerPort, hosts: [host], rate: 8, lanes: 2, postEvery: 1, path: '/cgi-bin/post', maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));
  const restartedAt = Date.now();
  // While the manager's engine is gone, does the router still send requests to its dyno?
  const managerHost = `${cluster!.manager.addr}:`;
  let unroutedWhileDown = false;
  const sampling = setInterval(() => {
    void routed().then((r) => { if (r.length === 1 && !r[0].startsWith(managerHost)) unroutedWhileDown = true; }, () => undefined);
  }, 100);
  const downMs = await cluster!.restartManagerEngine(signal).finally(() => clearInterval(sampling));
  // Converged: both dynos up again, each running web container routed and nothing else.
  const timeline: string[] = [];
  const mark = (line: string): void => { if (timeline.at(-1)?.endsWith(line) !== true) timeline.push(`+${Date.now() - restartedAt} ms ${line}`); };
  await waitUntil(async () => {
    const state = (await dynos().catch(() => [])).map((d) => `${d.name}@${d.node}:${d.state}`).join(' ');
    const nodes = ((await cluster!.manager.engine.listNodes().catch(() => [])) as Array<{ Description: { Hostname: string }; Status: { State: string } }>)
      .map((n) => `${n.Description.Hostname}:${n.Status.State}`).join(' ');
    mark(`${state} (nodes ${nodes})`);
    if (!(await webUp(version - 1).catch(() => false))) return false;
    const { routed: table, running } = await routedAndRunning();
    if (running.length === 2 && table.join() === running.join()) return true;
    mark(`routed ${table}, running ${running}`);
    return false;
  }, 'both dynos up and routed after the manager\'s restart', 60_000, platform().paasd())
    .catch((err: Error) => { throw new Error(`${err.message.split('\n')[0]}; timeline:\n${timeline.join('\n')}`); });
  const convergedMs = Date.now() - restartedAt;
  await new Promise((r) => setTimeout(r, 1000));
  const [gets, posts] = await Promise.all([getLoad.stop(), postLoad.stop()]);
  t.diagnostic(`timeline:\n${timeline.join('\n')}`);

  // A graceful stop answers 503 for a while: logged once. After a SIGKILL the new dockerd may
  // listen before any poll failed (requests wait in its socket's backlog until it serves).
  const noticed = logged(/cannot read the swarm/g) - outages;
  assert.ok(signal === 'TERM' ? noticed === 1 : noticed <= 1, `the outage is logged once (${noticed}):\n${platform().paasd().output().slice(-3000)}`);
  assert.equal(logged(/the Docker engine answers again: following the swarm/g) - returns, noticed);
  // Its dyno died with the engine: out of the routes once the driver noticed.
  if (noticed) assert.ok(unroutedWhileDown, 'the manager\'s dyno left the routes while its engine was gone');
  const ps = await paas(['ps', '-a', app], platform().userEnv);
  assert.equal(ps.code, 0, ps.stderr);
  for (const dyno of ['web.1', 'web.2']) assert.match(ps.stdout, new RegExp(`${dyno}: up .* v${version - 1} on swarm-(manager|worker-1)`));
  const formation = (await platform().api<Array<{ type: string; quantity: number }>>('GET', `/apps/${app}/formation`)).body;
  assert.equal(formation.find((f) => f.type === 'web')?.quantity, 2);
  console.log(`paas ps -a ${app} after the restart (${signal}):\n${ps.stdout}`);

  // A deploy after the restart works; the router reaches both new dynos.
  const redeploy = await platform().pushVersion(app, `v${version}`, { Dockerfile: dockerfile(`v${version}`) });
  assert.equal(redeploy.code, 0, redeploy.stderr);
  await waitUntil(() => webUp(version), `v${version} up`, 30_000);
  const seen = new Set<string>();
  for (let i = 0; i < 20 && seen.size < 2; i++) seen.add((await platform().viaRouter(app)).body.trim());
  assert.deepEqual([...seen].sort(), [`v${version} web.1`, `v${version} web.2`]);
  const lost = lostData(platform(), [app]);
  assert.deepEqual(lost, []);

  const what = signal === 'TERM' ? 'restarted (SIGTERM, as `systemctl restart docker`)' : 'killed (SIGKILL) and started again';
  const row = `| swarm manager's dockerd ${what} | ${gets.requests} GET + ${posts.requests} POST | ${gets.failed} GET + ${posts.failed} POST | 0 | `
    + `${(downMs / 1000).toFixed(1)} s without an engine (${noticed ? `noticed by the driver, ${onManager[0]} unrouted meanwhile` : 'not noticed by the driver'}); ${onManager[0]} on the manager; all dynos up and routed ${(convergedMs / 1000).toFixed(1)} s after the stop; deploy v${version} after it ok |`;
  t.diagnostic(`GET load: ${describeLoad(gets)}; POST load: ${describeLoad(posts)}`);
  assert.ok(gets.requests > 100, `only ${gets.requests} requests`);
  // GETs the manager's dyno refuses are retried on the worker's; one GET in about 13 restarts
  // failed here (a 502 while the dyno died, router log not kept). At most one per GET lane can
  // be in flight on it when it dies: a systematic failure (no retry) would fail about half.
  assert.ok(gets.failed <= 4, `GETs on the manager's dying dyno are retried on the worker's: ${describeLoad(gets)}`);
  return { row, gets, posts };
}

const rows: string[] = [];
after(() => {
  if (rows.length) console.log(`| fault | requests | failed requests | lost data | notes |\n|---|---:|---:|---|---|\n${rows.join('\n')}`);
});

test('the swarm manager\'s dockerd restarted (SIGTERM) under load: the platform reconnects and converges, and deploys again', async (t) => {
  rows.push((await restartUnderLoad(t, 'TERM', 2)).row);
});

test('the swarm manager\'s dockerd killed (SIGKILL) and started again under load: the platform reconnects and converges, and deploys again', async (t) => {
  rows.push((await restartUnderLoad(t, 'KILL', 3)).row);
});
