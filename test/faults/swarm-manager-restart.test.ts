// The swarm manager's dockerd restarted under load (issue 12's last fault): a swarm made of
// engines in containers only (helpers/container-swarm.ts: a manager and a worker; the host's
// engine, shared by everyone, joins no swarm and is never restarted), a whole platform as an
// operator runs it (paasd and the router as processes, PAAS_SCHEDULER=swarm, the scheduler on
// the manager container's engine through PAAS_SWARM_MANAGER_SOCKET; builds stay on the host's
// engine and push to the registry, from which the nodes pull). A Dockerfile app runs web.1 and
// web.2, one on each node; under constant GET load through the router the manager's dockerd is
// stopped (SIGTERM, so its tasks die: live-restore does not exist in swarm mode) and started
// again. Then: the driver logged the outage once and followed the swarm again, every dyno runs
// and is routed (router table = running web tasks), `paas ps` is right, no release is lost or
// duplicated, and a deploy after the restart works. Requests go only to loopback (the router)
// and, from the platform, to the node containers this test made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { routeTableKey } from '../../common/redis-keys.ts';
import type { RouteTable } from '../../common/routes.ts';
import { startContainerSwarm, type ContainerSwarm } from '../helpers/container-swarm.ts';
import { startFaultPlatform, type FaultPlatform } from '../helpers/fault-platform.ts';
import { paas } from '../helpers/git.ts';
import { describeLoad, startLoad } from '../helpers/load.ts';
import { waitUntil } from '../helpers/platform-process.ts';
import { lostData } from './fault-cases.ts';

interface DynoJson { name: string; state: string; node: string | null; release: { version: number } }
interface Task { ServiceID: string; NodeID: string; DesiredState: string; Status: { State: string; PortStatus?: { Ports?: Array<{ PublishedPort: number }> } } }

/** Each dyno answers "<body> <dyno name>". */
const dockerfile = (body: string): string => 'FROM paas/busybox:test\n'
  + `CMD ["sh", "-c", "mkdir -p /tmp/w && echo \\"${body} $DYNO\\" > /tmp/w/index.html && exec httpd -f -p $PORT -h /tmp/w"]\n`;

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

/** The router's backends for the app, and the running web tasks of its services (node address:port). */
async function routedAndRunning(): Promise<{ routed: string[]; running: string[] }> {
  const table = JSON.parse((await redis!.get(routeTableKey(platform().prefix))) ?? '{"apps":[]}') as RouteTable;
  const routed = (table.apps.find((a) => a.app === app)?.backends ?? []).map((b) => `${b.host}:${b.port}`).sort();
  const engine = cluster!.manager.engine;
  const services = new Set(((await engine.listServices({ filters: { label: [`${platform().label}.app=${app}`, `${platform().label}.type=web`] } })) as Array<{ ID: string }>).map((s) => s.ID));
  const nodes = new Map(((await engine.listNodes()) as Array<{ ID: string; Status: { Addr: string } }>).map((n) => [n.ID, n.Status.Addr]));
  const running = ((await engine.listTasks({ filters: { 'desired-state': ['running'] } })) as Task[])
    .filter((t) => services.has(t.ServiceID) && t.Status.State === 'running')
    .map((t) => `${nodes.get(t.NodeID)}:${t.Status.PortStatus?.Ports?.[0]?.PublishedPort}`).sort();
  return { routed, running };
}

test('the swarm manager\'s dockerd restarted under load: the platform reconnects and converges, and deploys again', async (t) => {
  const push = await platform().deploy(app, 'v1', { Dockerfile: dockerfile('v1') });
  assert.equal(push.code, 0, push.stderr);
  const scaled = await paas(['ps:scale', 'web=2', '-a', app], platform().userEnv);
  assert.equal(scaled.code, 0, scaled.stderr);
  await waitUntil(() => webUp(1), 'web.1 and web.2 up', 30_000);
  const before = await dynos();
  assert.deepEqual(before.map((d) => d.node).sort(), ['swarm-manager', 'swarm-worker-1'], 'one dyno on each node');
  const onManager = before.find((d) => d.node === 'swarm-manager')!.name;

  const host = `${app}.localhost`;
  const load = startLoad({ port: platform().routerPort, hosts: [host], rate: 40, lanes: 4, maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));
  const restartedAt = Date.now();
  const downMs = await cluster!.restartManagerEngine('TERM');
  // Converged: both dynos up again, each running web task routed and nothing else.
  const timeline: string[] = [];
  await waitUntil(async () => {
    const state = (await dynos().catch(() => [])).map((d) => `${d.name}@${d.node}:${d.state}`).join(' ');
    if (timeline.at(-1)?.endsWith(state) !== true) timeline.push(`+${Date.now() - restartedAt} ms ${state}`);
    if (!(await webUp(1).catch(() => false))) return false;
    const { routed, running } = await routedAndRunning();
    return running.length === 2 && routed.join() === running.join();
  }, 'both dynos up and routed after the manager\'s restart', 60_000, platform().paasd());
  const convergedMs = Date.now() - restartedAt;
  await new Promise((r) => setTimeout(r, 1000));
  const stats = await load.stop();
  t.diagnostic(`timeline:\n${timeline.join('\n')}`);

  const out = platform().paasd().output();
  assert.equal(out.match(/cannot read the swarm/g)?.length, 1, `the outage is logged once:\n${out.slice(-3000)}`);
  assert.match(out, /the Docker engine answers again: following the swarm/);
  const ps = await paas(['ps', '-a', app], platform().userEnv);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /web\.1: up .* v1 on swarm-(manager|worker-1)/);
  assert.match(ps.stdout, /web\.2: up .* v1 on swarm-(manager|worker-1)/);
  const formation = (await platform().api<Array<{ type: string; quantity: number }>>('GET', `/apps/${app}/formation`)).body;
  assert.equal(formation.find((f) => f.type === 'web')?.quantity, 2);

  // A deploy after the restart works, on both nodes.
  const redeploy = await platform().pushVersion(app, 'v2', { Dockerfile: dockerfile('v2') });
  assert.equal(redeploy.code, 0, redeploy.stderr);
  await waitUntil(() => webUp(2), 'v2 up', 30_000);
  const seen = new Set<string>();
  for (let i = 0; i < 20 && seen.size < 2; i++) seen.add((await platform().viaRouter(app)).body.trim());
  assert.deepEqual([...seen].sort(), ['v2 web.1', 'v2 web.2']);
  const lost = lostData(platform(), [app]);
  assert.deepEqual(lost, []);

  const row = `| swarm manager's dockerd restarted (SIGTERM, ${(downMs / 1000).toFixed(1)} s without an engine; ${onManager} on the manager) | ${stats.requests} | ${stats.failed} | ${lost.length ? lost.join('; ') : '0'} | all dynos up and routed ${(convergedMs / 1000).toFixed(1)} s after the stop; deploy after it ok |`;
  console.log(`| fault | requests | failed requests | lost data | notes |\n|---|---:|---:|---|---|\n${row}`);
  t.diagnostic(`load: ${describeLoad(stats)}`);
  console.log(`paas ps -a ${app} after the restart:\n${ps.stdout}`);
  assert.ok(stats.requests > 100, `only ${stats.requests} requests`);
  assert.equal(stats.failed, 0, `GETs on the manager's dying task are retried on the worker's: ${describeLoad(stats)}`);
});
