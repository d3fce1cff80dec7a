// Apps on a real 3-node Docker Swarm (PAAS_SCHEDULER=swarm): the host's engine as the manager
// and two Docker engines in containers as workers, made and removed by the test
// (helpers/swarm-cluster.ts). A Dockerfile app pushed with git runs as Swarm services; the
// router balances over every task at its node's address. Under constant load through the
// router, draining a worker and a redeploy fail no request; a killed worker's dynos move.
// Traffic goes only to loopback and to the worker containers this test made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ensureBusyboxImage } from '../builder/busybox-image.ts';
import { ensureSwarmManager } from '../controller/scheduler/swarm-setup.ts';
import { setAppSettings } from '../controller/store/app-settings.ts';
import { findApp } from '../controller/store/apps.ts';
import { eventually } from './helpers/eventually.ts';
import { commitFiles, paas, run, tempDir, userEnv } from './helpers/git.ts';
import { describeLoad, startLoad } from './helpers/load.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { startSwarmCluster, type SwarmCluster } from './helpers/swarm-cluster.ts';
import Dockerode from 'dockerode';

interface DynoJson { name: string; state: string; node: string | null; release: { version: number } }
interface NodeJson { id: string; name: string; role: string; state: string; availability: string; dynos: number; self: boolean }

/** Each dyno answers "<version> <dyno name>". */
const dockerfile = (version: string): string => 'FROM paas/busybox:test\n'
  + `CMD ["sh", "-c", "mkdir -p /tmp/w && echo \\"${version} $DYNO\\" > /tmp/w/index.html && exec httpd -f -p $PORT -h /tmp/w"]\n`;

describe('apps on a 3-node Docker Swarm', () => {
  const docker = new Dockerode();
  let cluster: SwarmCluster | null = null;
  let p: TestPlatform | null = null;
  let env: NodeJS.ProcessEnv;
  const app = `swarm-${process.pid}`;
  const dir = tempDir('paas-swarm-app-');
  let gitUrl = '';

  const platform = (): TestPlatform => p as TestPlatform;
  const dynos = async (): Promise<DynoJson[]> => (await platform().api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body;
  const nodes = async (): Promise<NodeJson[]> => (await platform().api<NodeJson[]>('GET', '/nodes')).body;
  const push = async (version: string): Promise<void> => {
    await commitFiles(dir, { Dockerfile: dockerfile(version) }, version, env);
    const r = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
  };
  const load = () => startLoad({ port: platform().routerPort, hosts: [`${app}.${platform().config.domain}`], rate: 60, lanes: 4, maxMs: 120_000 });
  const allUp = async (n: number, version: number): Promise<DynoJson[]> => {
    const ds = (await dynos()).filter((d) => d.name.startsWith('web.'));
    assert.deepEqual(ds.map((d) => `${d.name} ${d.state} v${d.release.version}`).sort(), Array.from({ length: n }, (_, i) => `web.${i + 1} up v${version}`));
    return ds;
  };

  before(async () => {
    await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => undefined });
    cluster = await startSwarmCluster({ docker, workers: 2, registry: '127.0.0.1:5000', baseImage: 'paas/stack:1-build' });
    p = await startTestPlatform({ scheduler: 'swarm', bootTimeout: 30 });
    env = userEnv(tempDir('paas-swarm-home-'));
    assert.equal((await paas(['login', '--api', platform().controller.url, '--token', platform().adminToken], env)).code, 0);
    gitUrl = `${platform().controller.url.replace('://', `://user:${platform().adminToken}@`)}/${app}.git`;
    assert.equal((await platform().api('POST', '/apps', { name: app })).status, 201);
    setAppSettings(platform().controller.db, findApp(platform().controller.db, app)!.id, { healthCheckPath: '/', bootTimeoutSec: 30, drainGraceSec: 2 });
    await push('v1');
  });

  after(async () => {
    try {
      await p?.stop();
    } finally {
      await cluster?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      if (env?.HOME) fs.rmSync(env.HOME, { recursive: true, force: true });
    }
  });

  test('ps:scale web=3 spreads the dynos over the nodes, the router reaches all three, maintenance mode holds them', async (t) => {
    const scaled = await paas(['ps:scale', 'web=3', '-a', app], env);
    assert.equal(scaled.code, 0, scaled.stderr);
    const ds = await allUp(3, 1);
    const used = new Set(ds.map((d) => d.node));
    assert.ok(used.size >= 2, `dynos on ${[...used].join(', ')}`);
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 3; i++) {
      const res = await platform().viaRouter(app);
      assert.equal(res.status, 200);
      seen.add(res.body.trim());
    }
    assert.deepEqual([...seen].sort(), ['v1 web.1', 'v1 web.2', 'v1 web.3']);
    assert.equal((await paas(['maintenance:on', '-a', app], env)).code, 0);
    await eventually(async () => assert.equal((await platform().viaRouter(app)).status, 503));
    assert.equal((await paas(['maintenance:off', '-a', app], env)).code, 0);
    await eventually(async () => assert.equal((await platform().viaRouter(app)).status, 200));
    const ps = await paas(['ps', '-a', app], env);
    const table = await paas(['nodes'], env);
    assert.match(ps.stdout, /web\.1: up .* v1 on \S+/);
    assert.match(table.stdout, /swarm-worker-1 +worker +ready +active/);
    t.diagnostic(`paas ps:\n${ps.stdout}\npaas nodes:\n${table.stdout}`);
    console.log(`paas ps -a ${app}\n${ps.stdout}\npaas nodes\n${table.stdout}`);
  });

  test('paasd refuses a worker node: the swarm driver needs a manager', async () => {
    // The worker's engine, reached through a socat the test starts in that worker's container.
    const worker = cluster!.workers[0];
    await docker.getContainer(worker.containerId).exec({ Cmd: ['socat', 'TCP-LISTEN:2375,fork,reuseaddr', 'UNIX-CONNECT:/var/run/docker.sock'] })
      .then((e) => e.start({ Detach: true }))
      // The (empty) answer of a detached start, left unread, kept a connection to dockerd open
      // after the tests: the file's process did not exit by itself.
      .then((answer) => { (answer as unknown as NodeJS.ReadableStream).resume(); });
    const engine = new Dockerode({ host: worker.addr, port: 2375 });
    await eventually(async () => { await engine.ping(); }, 5000);
    await assert.rejects(ensureSwarmManager(engine, { advertiseAddr: '', log: () => undefined }), /worker node of a swarm: with PAAS_SCHEDULER=swarm, paasd runs on a manager node/);
  });

  test('draining a worker under constant load fails no request; its dynos move to the other nodes', async (t) => {
    const before = await dynos();
    const worker = cluster!.workers.find((w) => before.some((d) => d.node === w.name))!;
    assert.ok(worker, 'a worker runs a dyno');
    const traffic = load();
    await new Promise((r) => setTimeout(r, 500));
    const drained = await paas(['nodes:drain', worker.name], env);
    const stats = await traffic.stop();
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, new RegExp(`Draining ${worker.name}\\.\\.\\. done, drain, 0 dyno`));
    t.diagnostic(`drain of ${worker.name}: ${describeLoad(stats)}`);
    assert.equal(stats.failed, 0, describeLoad(stats));
    assert.ok(stats.requests > 20, `only ${stats.requests} requests`);
    const after = await allUp(3, 1);
    assert.ok(after.every((d) => d.node !== worker.name), 'no dyno left on the drained node');
    assert.equal((await nodes()).find((n) => n.name === worker.name)?.availability, 'drain');
    assert.equal((await paas(['nodes:activate', worker.name], env)).code, 0);
    assert.equal((await nodes()).find((n) => n.name === worker.name)?.availability, 'active');
  });

  test('a redeploy under constant load fails no request, and the new release serves on every node', async (t) => {
    const traffic = load();
    await new Promise((r) => setTimeout(r, 500));
    await push('v2');
    await new Promise((r) => setTimeout(r, 500));
    const stats = await traffic.stop();
    t.diagnostic(`redeploy: ${describeLoad(stats)}`);
    assert.equal(stats.failed, 0, describeLoad(stats));
    const bodies = Object.keys(stats.hosts[`${app}.${platform().config.domain}`].bodies);
    assert.ok(bodies.some((b) => b.startsWith('v1')) && bodies.some((b) => b.startsWith('v2')), bodies.join(', '));
    const ds = await allUp(3, 2);
    assert.ok(new Set(ds.map((d) => d.node)).size >= 2, `dynos on ${ds.map((d) => d.node).join(', ')}`);
    for (let i = 0; i < 6; i++) assert.match((await platform().viaRouter(app)).body, /^v2 web\.\d/);
  });

  test('a killed worker\'s dynos come back on the other nodes and the app keeps serving', async (t) => {
    const before = await dynos();
    const worker = cluster!.workers.find((w) => before.some((d) => d.node === w.name))!;
    const moved = before.filter((d) => d.node === worker.name).map((d) => d.name);
    console.log(`before killing ${worker.name}: ${before.map((d) => `${d.name}@${d.node}`).join(', ')}`);
    const traffic = load();
    const killedAt = Date.now();
    await cluster!.killWorker(worker.name);
    const timeline: string[] = [];
    await eventually(async () => {
      const tasks = (await docker.listTasks({ filters: { 'desired-state': ['running'] } })) as Array<{ Status: { State: string } }>;
      const now = `${(await dynos()).map((d) => `${d.name}@${d.node}:${d.state}`).join(' ')} (tasks: ${tasks.map((x) => x.Status.State).join(',')})`;
      if (timeline.at(-1)?.endsWith(now) !== true) timeline.push(`+${Date.now() - killedAt} ms ${now}`);
      const ds = await allUp(3, 2);
      assert.ok(ds.every((d) => d.node !== worker.name), `still on ${worker.name}`);
    }, 60_000);
    t.diagnostic(`timeline:\n${timeline.join('\n')}`);
    const backAfter = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 500));
    const stats = await traffic.stop();
    t.diagnostic(`killed ${worker.name} (${moved.join(', ')}): all dynos up elsewhere after ${backAfter} ms; load: ${describeLoad(stats)}`);
    assert.equal((await nodes()).find((n) => n.name === worker.name)?.state, 'down');
    for (let i = 0; i < 6; i++) assert.equal((await platform().viaRouter(app)).status, 200);
    console.log(`after killing ${worker.name}:\n${(await paas(['ps', '-a', app], env)).stdout}\n${(await paas(['nodes'], env)).stdout}`);
  });
});
