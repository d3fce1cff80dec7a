// The Scheduler contract on a real Docker Swarm: the host's engine as a single-node swarm
// (made and left by the test; test/helpers/swarm-cluster.ts), dynos as Swarm services.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { pushTestImage } from '../../test/helpers/registry-image.ts';
import { startSwarmCluster, type SwarmCluster } from '../../test/helpers/swarm-cluster.ts';
import { realTarget, schedulerContract, WEB } from './scheduler-contract.test-support.ts';
import { createSwarmScheduler } from './swarm-scheduler.ts';
import type { Scheduler } from './types.ts';

const config = testConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const app = `contract-swarm-${process.pid}`;
let scheduler: Scheduler;
let cluster: SwarmCluster | null = null;

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => undefined });
  await pushTestImage(docker, 'paas/busybox:test', config.registry, app, ['v1', 'v2', 'v3'], config.registryAuth);
  cluster = await startSwarmCluster({ docker, workers: 0, registry: config.registry, baseImage: config.stackBuildImage });
  scheduler = createSwarmScheduler({ docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, log: () => undefined });
});
after(async () => {
  await scheduler?.destroy(app).catch(() => undefined);
  await scheduler?.close();
  await cluster?.stop();
});

schedulerContract('swarm', realTarget(() => scheduler, app, config.registry));

// The manager's engine restarting, as the driver sees it: its socket stops answering, then
// answers again. (The shared engine is not restarted: the driver talks through a socket relay
// this test cuts and restores.)
test('when the engine stops answering, routing stays; when it answers again, the driver follows the swarm', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-swarm-sock-'));
  const socket = path.join(dir, 'docker.sock');
  const open = new Set<net.Socket>();
  const relay = net.createServer((c) => {
    const up = net.connect(config.dockerSocket);
    open.add(c).add(up);
    c.pipe(up).pipe(c);
    for (const s of [c, up]) s.on('error', () => undefined).on('close', () => open.delete(s));
  });
  const listen = (): Promise<void> => new Promise((r) => relay.listen(socket, r));
  await listen();
  const lines: string[] = [];
  let changes = 0;
  const watched = createSwarmScheduler({
    docker: new Dockerode({ socketPath: socket }), label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, pollMs: 100, log: (l) => lines.push(l),
  });
  const stopWatching = watched.onChange(() => { changes++; });
  try {
    assert.deepEqual(await watched.list(app), []);
    // The engine goes away.
    const closed = new Promise<void>((r) => relay.close(() => r()));
    for (const s of open) s.destroy();
    await closed;
    await waitFor(() => lines.some((l) => /cannot read the swarm/.test(l)));
    assert.deepEqual(await watched.list(app), [], 'the last read, while the engine does not answer');
    // Meanwhile a dyno starts (another controller, or Swarm itself).
    await scheduler.start({
      app, release: 1, image: `${config.registry}/${app}:v1`, kind: 'dockerfile', env: {}, memoryMb: 64,
      processes: [{ type: 'web', command: WEB, quantity: 1 }], checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 1 },
    }, () => undefined);
    const before = changes;
    await listen();
    await waitFor(() => lines.some((l) => /answers again/.test(l)));
    await waitFor(() => changes > before);
    // The new task is health-checked by the watching driver before it counts as up.
    await waitFor(async () => (await watched.list(app)).some((d) => d.name === 'web.1' && d.state === 'up' && d.node !== null));
    assert.equal(lines.filter((l) => /cannot read the swarm/.test(l)).length, 1, 'logged once, not at every poll');
  } finally {
    stopWatching();
    await watched.close();
    relay.close();
    for (const s of open) s.destroy();
    await scheduler.destroy(app);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function waitFor(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${fn.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a new controller adopts the web tasks the last route table routed, and checks the others before they count as up', async () => {
  const spec = {
    app, release: 1, image: `${config.registry}/${app}:v1`, kind: 'dockerfile' as const, env: {}, memoryMb: 64,
    processes: [{ type: 'web', command: WEB, quantity: 1 }], checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 1 },
  };
  const [web] = await scheduler.start(spec, () => undefined);
  const make = (backends: Array<{ host: string; port: number }>) => createSwarmScheduler({
    docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, pollMs: 100, log: () => undefined,
    lastRoutes: { version: 1, apps: [{ app, hosts: [], maintenance: false, backends: backends.map((b) => ({ ...b, dyno: 'web.1', release: 1 })) }] },
  });
  const routed = make([{ host: web.host!, port: web.port! }]);
  const unrouted = make([]);
  const stop = unrouted.onChange(() => undefined);
  try {
    assert.equal((await routed.list(app))[0].state, 'up', 'routed before: adopted as it was');
    assert.equal((await unrouted.list(app))[0].state, 'starting', 'never routed: not trusted yet');
    await waitFor(async () => (await unrouted.list(app))[0].state === 'up');
  } finally {
    stop();
    await Promise.all([routed.close(), unrouted.close()]);
    await scheduler.destroy(app);
  }
});

test('a release whose image no node can pull fails with the node and Swarm\'s error, and leaves no service', async () => {
  const spec = {
    app, release: 9, image: `${config.registry}/${app}:v404`, kind: 'dockerfile' as const, env: {}, memoryMb: 64,
    processes: [{ type: 'web', command: WEB, quantity: 1 }], checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 0 },
  };
  await assert.rejects(scheduler.start(spec, () => undefined), (err: Error) => {
    assert.match(err.message, /^web\.1 could not start on node \S+: .*(No such image|not found|manifest unknown)/i);
    return true;
  });
  assert.deepEqual(await scheduler.list(app), []);
});

test('a dyno\'s task runs confined as a local dyno: uid 1000, no capabilities, an init, memory, CPU and pids limits, its app\'s network', async () => {
  const hardened = createSwarmScheduler({ docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, cpus: 0.5, log: () => undefined });
  try {
    const [web] = await hardened.start({
      app, release: 1, image: `${config.registry}/${app}:v1`, kind: 'dockerfile', env: {}, memoryMb: 96,
      processes: [{ type: 'web', command: WEB, quantity: 1 }], checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 0 },
    }, () => undefined);
    const tasks = (await docker.listTasks({ filters: { service: [web.id], 'desired-state': ['running'] } })) as Array<{ Status: { ContainerStatus: { ContainerID: string } } }>;
    const info = await docker.getContainer(tasks[0].Status.ContainerStatus.ContainerID).inspect();
    assert.equal(info.Config.User, '1000:1000');
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.HostConfig.Memory, 96 * 1024 * 1024);
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.equal(info.HostConfig.PidsLimit, 512);
    assert.equal(info.Config.Labels[`${config.label}.dyno`], 'web.1');
    assert.ok(Object.keys(info.NetworkSettings.Networks).includes(`${config.label}-swarm-${app}`), Object.keys(info.NetworkSettings.Networks).join(', '));
  } finally {
    await hardened.destroy(app);
    await hardened.close();
  }
});
