// Config vars and rollback through the API: each change is a new immutable release.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { insertConfig } from '../store/configs.ts';
import { seedRelease, startApiPlatform, suitePlatform, type ApiPlatform } from './api.test-support.ts';


describe('config vars and releases', () => {
  let p: ApiPlatform;
  let scheduler: MemoryScheduler;
  let auth: string;
  const api = () => p.api();

  before(async () => {
    p = await startApiPlatform();
    ({ scheduler, auth } = p);
    await api().post('/apps').set('authorization', auth).send({ name: 'cfg' }).expect(201);
    seedRelease(p.ctl, 'cfg', { processTypes: { web: 'node s.js', worker: 'node w.js' } });
  });
  after(() => p.close());

  test('PATCH sets and unsets vars, each change a new release that restarts the app', async () => {
    const set = await api().patch('/apps/cfg/config-vars').set('authorization', auth).send({ GREETING: 'hi', MODE: 'x' }).expect(200);
    assert.deepEqual(set.body, { GREETING: 'hi', MODE: 'x' });
    assert.equal(scheduler.started.at(-1)?.env.GREETING, 'hi');
    assert.equal(scheduler.started.at(-1)?.release, 2);
    assert.deepEqual(scheduler.started.at(-1)?.processes, [{ type: 'web', command: 'node s.js', quantity: 1 }]);
    const unset = await api().patch('/apps/cfg/config-vars').set('authorization', auth).send({ MODE: null }).expect(200);
    assert.deepEqual(unset.body, { GREETING: 'hi' });
    const got = await api().get('/apps/cfg/config-vars').set('authorization', auth).expect(200);
    assert.deepEqual(got.body, { GREETING: 'hi' });
    const rels = await api().get('/apps/cfg/releases').set('authorization', auth).expect(200);
    assert.deepEqual(rels.body.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`),
      ['v1 Deploy abc', 'v2 Set GREETING, MODE config vars', 'v3 Remove MODE config var']);
    assert.equal(rels.body[2].current, true);
  });

  test('bad keys and values are 422 and change nothing', async () => {
    for (const body of [{ '1BAD': 'x' }, { 'A-B': 'x' }, { A: 5 }, ['A'], {}]) {
      const res = await api().patch('/apps/cfg/config-vars').set('authorization', auth).send(body).expect(422);
      assert.equal(res.body.id, 'invalid_params');
    }
    const rels = await api().get('/apps/cfg/releases').set('authorization', auth).expect(200);
    assert.equal(rels.body.length, 3);
  });

  test('a release that fails to start is kept as failed and the config stays as it was', async () => {
    scheduler.failNextStart(new Error('web.1 exited during boot'));
    const res = await api().patch('/apps/cfg/config-vars').set('authorization', auth).send({ BROKEN: '1' }).expect(500);
    assert.equal(res.body.id, 'internal_server_error');
    const rels = await api().get('/apps/cfg/releases/4').set('authorization', auth).expect(200);
    assert.equal(rels.body.status, 'failed');
    assert.match(rels.body.failure_reason, /exited during boot/);
    const got = await api().get('/apps/cfg/config-vars').set('authorization', auth).expect(200);
    assert.deepEqual(got.body, { GREETING: 'hi' });
  });

  test('rollback makes a new release from an old (build, config) pair', async () => {
    const res = await api().post('/apps/cfg/releases').set('authorization', auth).send({ release: '1' }).expect(201);
    assert.equal(res.body.version, 5);
    assert.equal(res.body.description, 'Rollback to v1');
    assert.equal(res.body.current, true);
    assert.deepEqual(scheduler.started.at(-1)?.env, {});
    const got = await api().get('/apps/cfg/config-vars').set('authorization', auth).expect(200);
    assert.deepEqual(got.body, {});
    const byVersion = await api().get('/apps/cfg/releases/v2').set('authorization', auth).expect(200);
    assert.equal(byVersion.body.description, 'Set GREETING, MODE config vars');
    await api().post('/apps/cfg/releases').set('authorization', auth).send({ release: '99' }).expect(404);
    await api().post('/apps/cfg/releases').set('authorization', auth).send({}).expect(422);
  });
});

describe('formation and dynos', () => {
  const p = suitePlatform({ app: 'scaly' });
  const api = () => p.api();

  test('an app without a release has no formation; scaling it is a clear 404', async () => {
    const f = await api().get('/apps/scaly/formation').set('authorization', p.auth).expect(200);
    assert.deepEqual(f.body, []);
    const res = await api().patch('/apps/scaly/formation/web').set('authorization', p.auth).send({ quantity: 2 }).expect(404);
    assert.match(res.body.message, /push code first/);
  });

  test('scales process types from the release and lists dynos web.1..web.N', async () => {
    const app = findApp(p.ctl.db, 'scaly')!;
    const build = insertBuild(p.ctl.db, app.id, null, 'abc');
    finishBuild(p.ctl.db, build.id, { status: 'succeeded', image: `x:build-${build.id}`, processTypes: { web: 'node s.js', worker: 'node w.js', release: './migrate' } });
    await api().patch('/apps/scaly/config-vars').set('authorization', p.auth).send({ A: '1' }).expect(200);
    // No release yet, so no formation: seed v1 and deploy it through a rollback.
    const v1 = insertRelease(p.ctl.db, { appId: app.id, buildId: build.id, configId: insertConfig(p.ctl.db, app.id, {}).id, description: 'Deploy abc', userId: null });
    setReleaseStatus(p.ctl.db, v1.id, 'succeeded');
    const f = await api().get('/apps/scaly/formation').set('authorization', p.auth).expect(200);
    assert.deepEqual(f.body.map((x: { type: string; quantity: number }) => [x.type, x.quantity]), [['web', 1], ['worker', 0]]);
    const scaled = await api().patch('/apps/scaly/formation').set('authorization', p.auth)
      .send({ updates: [{ type: 'web', quantity: 3 }, { type: 'worker', quantity: 1 }] }).expect(200);
    assert.deepEqual(scaled.body.map((x: { type: string; quantity: number }) => [x.type, x.quantity]), [['web', 3], ['worker', 1]]);
    const dynos = await api().get('/apps/scaly/dynos').set('authorization', p.auth).expect(200);
    assert.deepEqual(dynos.body.map((d: { name: string }) => d.name), ['web.1', 'web.2', 'web.3', 'worker.1']);
    const down = await api().patch('/apps/scaly/formation/web').set('authorization', p.auth).send({ quantity: 1 }).expect(200);
    assert.equal(down.body.quantity, 1);
    assert.equal(down.body.command, 'node s.js');
    const after = await api().get('/apps/scaly/dynos').set('authorization', p.auth).expect(200);
    assert.deepEqual(after.body.map((d: { name: string }) => d.name), ['web.1', 'worker.1']);
  });

  test("quantities as Heroku takes them: strings, and +N/-N relative to the current one", async () => {
    const scale = async (quantity: string) => (await api().patch('/apps/scaly/formation').set('authorization', p.auth)
      .send({ updates: [{ type: 'web', quantity, size: 'Standard' }] }).expect(200)).body.find((f: { type: string }) => f.type === 'web').quantity;
    assert.equal(await scale('2'), 2);
    assert.equal(await scale('+1'), 3);
    assert.equal(await scale('-3'), 0);
    const below = await api().patch('/apps/scaly/formation/web').set('authorization', p.auth).send({ quantity: '-1' }).expect(422);
    assert.match(below.body.message, /quantity of web must be an integer from 0 to 100/);
  });

  test('bad quantities and unknown types are refused', async () => {
    for (const quantity of [-1, 1.5, 'two', '1.5', '', 101, '101']) {
      await api().patch('/apps/scaly/formation/web').set('authorization', p.auth).send({ quantity }).expect(422);
    }
    await api().patch('/apps/scaly/formation/web').set('authorization', p.auth).send({ quantity: 1, size: 'performance-l' }).expect(422);
    await api().patch('/apps/scaly/formation/release').set('authorization', p.auth).send({ quantity: 1 }).expect(404);
    await api().patch('/apps/scaly/formation/nope').set('authorization', p.auth).send({ quantity: 1 }).expect(404);
    await api().patch('/apps/scaly/formation').set('authorization', p.auth).send({ updates: [] }).expect(422);
  });
});
