// The Scheduler contract on the local Docker engine, with a 2 MB busybox image from the registry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { pushTestImage } from '../../test/helpers/registry-image.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { dynoOptions } from './docker-dyno.ts';
import { createDockerScheduler } from './docker-scheduler.ts';
import { appNetworkName, DEFAULT_DYNO_CPU } from './dyno-hardening.ts';
import { realTarget, schedulerContract, WEB } from './scheduler-contract.test-support.ts';
import type { ReleaseSpec, Scheduler } from './types.ts';

const config = testConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const app = `contract-docker-${process.pid}`;
let scheduler: Scheduler;

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => undefined });
  await pushTestImage(docker, 'paas/busybox:test', config.registry, app, ['v1', 'v2', 'v3'], config.registryAuth);
  scheduler = createDockerScheduler({ docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, log: () => undefined });
});
after(async () => {
  await scheduler.destroy(app).catch(() => undefined);
  await scheduler.close();
});

schedulerContract('docker', realTarget(() => scheduler, app, config.registry));

test('one local engine is one node, which cannot be drained', async () => {
  const nodes = await scheduler.nodes();
  assert.equal(nodes.length, 1);
  assert.equal(nodes[0].self, true);
  await assert.rejects(scheduler.setNodeAvailability(nodes[0].id, 'drain', async () => undefined), (err: Error & { id?: string }) => {
    assert.equal(err.id, 'not_a_cluster');
    assert.match(err.message, /PAAS_SCHEDULER=swarm/);
    return true;
  });
});

test('a new controller re-adopts the web dynos the last route table routed (at their address, or at the loopback port an older controller published) and checks the others first', async () => {
  const readopt = `readopt-${process.pid}`;
  await pushTestImage(docker, 'paas/busybox:test', config.registry, readopt, ['v1'], config.registryAuth);
  const spec: ReleaseSpec = {
    app: readopt, release: 1, image: `${config.registry}/${readopt}:v1`, kind: 'dockerfile', env: {}, memoryMb: 64,
    processes: [{ type: 'web', command: WEB, quantity: 1 }], checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 0 },
  };
  const [dyno] = await scheduler.start(spec, () => undefined);
  // A dyno as the controllers before this one made them: published on loopback.
  const place = { label: config.label, network: appNetworkName(config.label, readopt), cpu: DEFAULT_DYNO_CPU };
  const options = dynoOptions(place, spec, spec.processes[0], 2, false);
  const legacy = await docker.createContainer({ ...options, HostConfig: { ...options.HostConfig, PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
  await legacy.start();
  const published = Number((await legacy.inspect()).NetworkSettings.Ports['5000/tcp']![0].HostPort);
  const next = (backends: Array<{ host: string; port: number }>): Scheduler => createDockerScheduler({
    docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20, log: () => undefined,
    lastRoutes: { version: 1, apps: [{ app: readopt, hosts: [], maintenance: false, backends: backends.map((b, i) => ({ ...b, dyno: `web.${i + 1}`, release: 1 })) }] },
  });
  const states = async (s: Scheduler): Promise<string[]> => (await s.list(readopt)).map((d) => `${d.name} ${d.state}`).sort();
  const adopting = next([{ host: dyno.host!, port: 5000 }, { host: '127.0.0.1', port: published }]);
  const checking = next([{ host: '192.0.2.1', port: 5000 }]); // routed elsewhere: neither dyno is known healthy
  try {
    assert.equal(dyno.port, 5000);
    assert.deepEqual(await states(adopting), ['web.1 up', 'web.2 up']);
    assert.deepEqual(await states(checking), ['web.1 starting', 'web.2 starting']);
    await eventually(async () => assert.deepEqual(await states(checking), ['web.1 up', 'web.2 up']), 10_000);
  } finally {
    await Promise.all([adopting.close(), checking.close()]);
    await scheduler.destroy(readopt);
  }
});
