// Deploy checks API: defaults from the platform config, per-app overrides, null resets, 422s.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, issueToken } from '../store/users.ts';
import { suitePlatform } from './api.test-support.ts';

describe('deploy checks API', () => {
  const p = suitePlatform({ config: { healthCheckPath: '/', bootTimeout: 60, drainGrace: 30 }, app: 'checked' });
  const api = () => p.api();

  test('shows the platform defaults until set', async () => {
    const res = await api().get('/apps/checked/checks').set('authorization', p.auth).expect(200);
    assert.deepEqual({ ...res.body, app: undefined }, { app: undefined, health_check_path: '/', boot_timeout: 60, drain_grace: 30 });
    assert.equal(res.body.app.name, 'checked');
  });

  test('sets some checks, keeps the others, and null resets one', async () => {
    let res = await api().patch('/apps/checked/checks').set('authorization', p.auth).send({ health_check_path: '/up', drain_grace: 5 }).expect(200);
    assert.equal(res.body.health_check_path, '/up');
    assert.equal(res.body.drain_grace, 5);
    assert.equal(res.body.boot_timeout, 60);
    res = await api().patch('/apps/checked/checks').set('authorization', p.auth).send({ drain_grace: null }).expect(200);
    assert.equal(res.body.drain_grace, 30);
    assert.equal(res.body.health_check_path, '/up');
  });

  test('bad values are 422 naming the field as the API does', async () => {
    let res = await api().patch('/apps/checked/checks').set('authorization', p.auth).send({ boot_timeout: 0 }).expect(422);
    assert.match(res.body.message, /^boot_timeout must be an integer from 1 to 600/);
    res = await api().patch('/apps/checked/checks').set('authorization', p.auth).send({ health_check_path: 'up' }).expect(422);
    assert.match(res.body.message, /health_check_path must start with "\/"/);
    res = await api().patch('/apps/checked/checks').set('authorization', p.auth).send({ grace: 1 }).expect(422);
    assert.match(res.body.message, /grace: unknown field/);
    await api().patch('/apps/checked/checks').set('authorization', p.auth).send([1]).expect(422);
  });

  test('only owners and collaborators see or change them', async () => {
    const eve = `Bearer ${issueToken(p.ctl.db, createUser(p.ctl.db, 'eve@example.com', false).id, 'test').token}`;
    await api().get('/apps/checked/checks').set('authorization', eve).expect(404);
    await api().patch('/apps/checked/checks').set('authorization', eve).send({ boot_timeout: 5 }).expect(404);
    await api().get('/apps/checked/checks').expect(401);
  });
});
