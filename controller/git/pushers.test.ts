// A git push is credited to the user who pushed (here a collaborator), not to the app's owner.
// Real git against the real controller; no builder runs, so the build is canceled once seen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import request from 'supertest';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { commitFiles, run, tempDir, userEnv } from '../../test/helpers/git.ts';

const config = testConfig();
let ctl: ControllerHandle;
before(async () => {
  ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined, reconcileMs: 3_600_000 });
});
after(async () => { await ctl.close(); removeDataDir(config); });

test('a push is credited to the user who pushed (its build and so its release), not to the owner', async () => {
  const admin = `Bearer ${readAdminToken(config)}`;
  const api = () => request(ctl.server);
  await api().post('/apps').set('authorization', admin).send({ name: 'pushed' }).expect(201);
  const carol = await api().post('/users').set('authorization', admin).send({ email: 'carol@example.com' }).expect(201);
  await api().post('/apps/pushed/collaborators').set('authorization', admin).send({ user: 'carol@example.com' }).expect(201);

  const home = tempDir('paas-pusher-');
  const env = userEnv(home);
  const dir = `${home}/app`;
  await commitFiles(dir, { 'index.html': 'hi\n' }, 'init', env);
  const url = `http://x:${carol.body.access_token.token}@127.0.0.1:${ctl.port}/pushed.git`;
  const pushing = run('git', ['push', '-q', url, 'master'], { cwd: dir, env });

  let builds: Array<{ id: string; user: { email: string } | null }> = [];
  for (let i = 0; i < 200 && builds.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    builds = (await api().get('/apps/pushed/builds').set('authorization', admin).expect(200)).body;
  }
  assert.equal(builds.length, 1, 'the push started a build');
  assert.equal(builds[0].user?.email, 'carol@example.com');
  await api().delete(`/apps/pushed/builds/${builds[0].id}`).set('authorization', admin).expect(200);
  const pushed = await pushing;
  assert.notEqual(pushed.code, 0);
  assert.match(pushed.stderr, /Build canceled/);
});
