// A build container's command runs once, even if something starts the stopped container again
// before it is committed (the builder must not commit a second, half-done run).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Dockerode from 'dockerode';
import { withBuildContainer } from './build-container.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import * as t from './builder.test-support.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-once-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

test('starting the exited container again does not run its command again', async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} });
  await fs.chmod(dir, 0o777);
  const id = t.uniqueName('b');
  const lines: string[] = [];
  const restarted = await withBuildContainer(
    {
      docker, image: 'paas/busybox:test', cmd: ['/bin/sh', '-c', 'echo run >> /out/runs; echo ran'], labels: { [config.label]: '1', [`${config.label}.build`]: id },
      binds: [`${dir}:/out`], memoryBytes: 256 * 1024 ** 2, network: 'none', workingDir: '/', timeoutMs: 30_000, log: (l) => lines.push(l),
    },
    async (container, exitCode) => {
      assert.equal(exitCode, 0);
      await container.start();
      return (await container.wait()) as { StatusCode: number };
    },
  );
  assert.equal(restarted.StatusCode, 0);
  assert.equal(await fs.readFile(path.join(dir, 'runs'), 'utf8'), 'run\n');
  assert.deepEqual(lines, ['ran']);
  assert.deepEqual(await t.buildContainers(docker, id), []);
});
