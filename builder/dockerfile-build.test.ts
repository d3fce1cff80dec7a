// Apps with a Dockerfile, built by the daemon FROM the tiny paas/busybox:test image.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import * as t from './builder.test-support.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const h = t.buildHarness({ config, docker });
const dockerfile = 'FROM paas/busybox:test\nCOPY www /www\nUSER 1000\nCMD ["sh", "-c", "exec httpd -f -p $PORT -h /www"]\n';

before(() => ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} }));
after(() => h.cleanup());

test('an app with a Dockerfile is built by docker and runs its own CMD', async () => {
  const { data, lines, result } = await h.build({ Dockerfile: dockerfile, 'www/index.html': 'from busybox\n' });
  const built = await result;
  assert.equal(built.buildpack, 'dockerfile');
  assert.deepEqual(built.processTypes, { web: null });
  assert.ok(lines.some((l) => /^-----> Step 1\/\d+ : FROM paas\/busybox:test$/.test(l)), lines.join('\n'));
  assert.equal((await docker.getImage(data.image).inspect()).Config.Labels['paas.app'], data.app);
  assert.equal(await h.serve(data.image, built), 'from busybox\n');
});

test('a Procfile next to the Dockerfile gives the process types, run with sh -c', async () => {
  const { data, result } = await h.build({ Dockerfile: dockerfile, Procfile: 'web: httpd -f -p $PORT -h /www/b\n', 'www/b/index.html': 'b\n' });
  const built = await result;
  assert.deepEqual(built.processTypes, { web: 'httpd -f -p $PORT -h /www/b' });
  assert.equal(await h.serve(data.image, built), 'b\n');
});

test('a failing Dockerfile step is a user error', async () => {
  const { result } = await h.build({ Dockerfile: 'FROM paas/busybox:test\nRUN echo about to fail && false\n' });
  await assert.rejects(result, (err: unknown) => err instanceof UserBuildError && /Docker build failed/.test(err.message));
});
