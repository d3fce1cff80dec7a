// The Scheduler contract on the local Docker engine, with a 2 MB busybox image from the registry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/busybox-image.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { pushTestImage } from '../../test/helpers/registry-image.ts';
import { createDockerScheduler } from './docker-scheduler.ts';
import { realTarget, schedulerContract } from './scheduler-contract.test-support.ts';
import type { Scheduler } from './types.ts';

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
