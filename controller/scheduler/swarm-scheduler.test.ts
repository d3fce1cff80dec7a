// The Scheduler contract on a real Docker Swarm: the host's engine as a single-node swarm
// (made and left by the test; test/helpers/swarm-cluster.ts), dynos as Swarm services.
import { after, before } from 'node:test';
import Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { pushTestImage } from '../../test/helpers/registry-image.ts';
import { startSwarmCluster, type SwarmCluster } from '../../test/helpers/swarm-cluster.ts';
import { BROKEN, schedulerContract, WEB } from './scheduler-contract.ts';
import { createSwarmScheduler } from './swarm-scheduler.ts';
import type { Scheduler } from './types.ts';

const config = testConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const app = `contract-swarm-${process.pid}`;
let scheduler: Scheduler;
let cluster: SwarmCluster | null = null;

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => undefined });
  await pushTestImage(docker, 'paas/busybox:test', config.registry, app, ['v1', 'v2', 'v3']);
  cluster = await startSwarmCluster({ docker, workers: 0, registry: config.registry, baseImage: config.stackBuildImage });
  scheduler = createSwarmScheduler({ docker, label: config.label, registry: config.registry, bootTimeoutSec: 20, log: () => undefined });
});
after(async () => {
  await scheduler?.destroy(app).catch(() => undefined);
  await scheduler?.close();
  await cluster?.stop();
});

schedulerContract('swarm', () => ({
  scheduler,
  app,
  image: (n) => `${config.registry}/${app}:v${n}`,
  kind: 'dockerfile',
  real: true,
  breakNextStart: (spec) => ({ ...spec, processes: spec.processes.map((p) => (p.command === WEB ? { ...p, command: BROKEN } : p)) }),
}));
