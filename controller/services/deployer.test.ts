// The deployer's app locks and renames: an operation that waited for a rename follows the app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../common/config.ts';
import { createKeyedMutex } from '../../common/keyed-mutex.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { insertApp, renameApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { openDb } from '../store/db.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { insertConfig } from '../store/configs.ts';
import { createUser } from '../store/users.ts';
import { createDeployer } from './deployer.ts';

function setup() {
  const db = openDb(':memory:');
  const config = loadConfig({});
  const scheduler = createMemoryScheduler();
  const retagged: string[] = [];
  const deployer = createDeployer({
    db, config, scheduler, appLock: createKeyedMutex(),
    registry: { retag: async (repo, from, to) => { retagged.push(`${repo}:${from}->${to}`); }, tags: async () => [], copyRepository: async () => [], deleteRepository: async () => undefined },
    routes: { sync: async () => ({ version: 0, apps: [] }) },
  });
  const app = insertApp(db, 'old-name', createUser(db, 'a@example.com', true).id);
  const build = finishBuild(db, insertBuild(db, app.id, null, 'abc').id, {
    status: 'succeeded', image: `${config.registry}/old-name:build-1`, processTypes: { web: 'node s.js', worker: 'node w.js' },
  });
  setReleaseStatus(db, insertRelease(db, { appId: app.id, buildId: build.id, configId: insertConfig(db, app.id, {}).id, description: 'Deploy', userId: null }).id, 'succeeded');
  return { db, config, scheduler, deployer, app, build, retagged };
}

test('a release that waited for a rename runs under the new name', async () => {
  const { db, config, scheduler, deployer, app, build, retagged } = setup();
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const renaming = deployer.exclusive(['old-name', 'new-name'], async () => {
    await gate;
    renameApp(db, app.id, 'new-name');
  });
  const releasing = deployer.release({ app, build, configId: insertConfig(db, app.id, { A: '1' }).id, description: 'Set A', user: null });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(scheduler.started.length, 0, 'the release waits for the lock');
  open();
  await renaming;
  const release = await releasing;
  assert.equal(release.version, 2);
  assert.deepEqual(retagged, ['new-name:build-1->v2']);
  assert.equal(scheduler.started.at(-1)?.app, 'new-name');
  assert.equal(scheduler.started.at(-1)?.image, `${config.registry}/new-name:v2`);
  assert.deepEqual((await scheduler.list()).map((d) => `${d.app} ${d.name}`), ['new-name web.1']);
});

test('startAs starts the current release under another name, beside the running dynos', async () => {
  const { scheduler, deployer, app, config } = setup();
  await deployer.reconcile(app);
  assert.deepEqual((await scheduler.list()).map((d) => `${d.app} ${d.name}@v${d.release}`), ['old-name web.1@v1']);
  assert.equal(await deployer.exclusive(['old-name', 'other'], () => deployer.startAs(app, 'other')), true);
  assert.deepEqual((await scheduler.list()).map((d) => `${d.app} ${d.name}@v${d.release}`).sort(), ['old-name web.1@v1', 'other web.1@v1']);
  assert.equal(scheduler.started.at(-1)?.image, `${config.registry}/other:v1`);
});

test('exclusive queues for all its locks at once: callers run in call order, none deadlocks', async () => {
  const { deployer } = setup();
  const order: string[] = [];
  const slow = (tag: string) => async () => { order.push(`${tag} in`); await new Promise((r) => setTimeout(r, 10)); order.push(`${tag} out`); };
  await Promise.all([deployer.exclusive(['b', 'a'], slow('1')), deployer.exclusive(['a', 'b'], slow('2')), deployer.exclusive(['b'], slow('3'))]);
  assert.deepEqual(order, ['1 in', '1 out', '2 in', '2 out', '3 in', '3 out']);
  await assert.rejects(deployer.exclusive(['a'], async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await deployer.exclusive(['a', 'b'], async () => 'free again'), 'free again');
});
