// API tests: supertest against the real express app, real SQLite store and real Redis,
// with the in-memory scheduler standing in for Docker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import request from 'supertest';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { createUser, issueToken } from '../store/users.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';

describe('REST API', () => {
  const config = testConfig();
  let ctl: ControllerHandle;
  let admin: string;
  let alice: string;
  let bob: string;

  before(async () => {
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
    admin = readAdminToken(config);
    alice = issueToken(ctl.db, createUser(ctl.db, 'alice@example.com', false).id, 'test').token;
    bob = issueToken(ctl.db, createUser(ctl.db, 'bob@example.com', false).id, 'test').token;
  });
  after(async () => {
    await ctl.close();
    removeDataDir(config);
  });

  const api = () => request(ctl.server);

  test('healthz needs no credentials', async () => {
    await api().get('/healthz').expect(200, { status: 'ok' });
  });

  test('every other endpoint answers 401 without a valid token, as JSON', async () => {
    for (const [method, path] of [['get', '/apps'], ['post', '/apps'], ['get', '/apps/x'], ['delete', '/apps/x'], ['get', '/apps/x/releases'], ['get', '/account']] as const) {
      const res = await api()[method](path).expect(401);
      assert.equal(res.body.id, 'unauthorized', `${method} ${path}`);
      assert.match(res.headers['content-type'], /application\/problem\+json/);
    }
    const res = await api().get('/apps').set('authorization', 'Bearer nope').expect(401);
    assert.equal(res.body.message, 'Invalid credentials provided.');
  });

  test('accepts the token as Bearer or as the Basic password (netrc style)', async () => {
    await api().get('/account').set('authorization', `Bearer ${admin}`).expect(200);
    const basic = Buffer.from(`anyone:${admin}`).toString('base64');
    const res = await api().get('/account').set('authorization', `Basic ${basic}`).expect(200);
    assert.equal(res.body.email, 'admin@paas.local');
    assert.equal(res.body.admin, true);
  });

  test('creates an app with Heroku-shaped JSON', async () => {
    const res = await api().post('/apps').set('authorization', `Bearer ${alice}`).send({ name: 'hello-api' }).expect(201);
    assert.equal(res.body.name, 'hello-api');
    assert.equal(res.body.git_url, `${config.apiUrl}/hello-api.git`);
    assert.equal(res.body.web_url, `http://hello-api.localhost:${config.routerPort}/`);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(res.body.created_at));
    assert.equal(res.body.owner.email, 'alice@example.com');
    const info = await api().get('/apps/hello-api').set('authorization', `Bearer ${alice}`).expect(200);
    assert.equal(info.body.id, res.body.id);
    const byId = await api().get(`/apps/${res.body.id}`).set('authorization', `Bearer ${alice}`).expect(200);
    assert.equal(byId.body.name, 'hello-api');
  });

  test('generates a name when none is given', async () => {
    const res = await api().post('/apps').set('authorization', `Bearer ${alice}`).send({}).expect(201);
    assert.match(res.body.name, /^[a-z]+-[a-z]+-\d{4}$/);
    await api().delete(`/apps/${res.body.name}`).set('authorization', `Bearer ${alice}`).expect(200);
  });

  test('invalid names are 422 with a clear message; taken names 409', async () => {
    for (const name of ['UPPER', 'a', 'has_underscore', 'x'.repeat(31), '-dash', 'a b']) {
      const res = await api().post('/apps').set('authorization', `Bearer ${alice}`).send({ name }).expect(422);
      assert.equal(res.body.id, 'invalid_params');
      assert.match(res.body.message, /lowercase letters, digits/);
    }
    const bad = await api().post('/apps').set('authorization', `Bearer ${alice}`).send({ name: 5 }).expect(422);
    assert.match(bad.body.message, /string/);
    const taken = await api().post('/apps').set('authorization', `Bearer ${bob}`).send({ name: 'hello-api' }).expect(409);
    assert.equal(taken.body.id, 'conflict');
  });

  test('malformed JSON is a 400, not a stack trace', async () => {
    const res = await api().post('/apps').set('authorization', `Bearer ${alice}`)
      .set('content-type', 'application/json').send('{"name": ').expect(400);
    assert.equal(res.body.id, 'bad_request');
    assert.doesNotMatch(JSON.stringify(res.body), /at .*\.ts/);
  });

  test('apps are private to owners (and admins): others get 404', async () => {
    await api().get('/apps/hello-api').set('authorization', `Bearer ${bob}`).expect(404);
    await api().delete('/apps/hello-api').set('authorization', `Bearer ${bob}`).expect(404);
    await api().get('/apps/hello-api/releases').set('authorization', `Bearer ${bob}`).expect(404);
    const bobs = await api().get('/apps').set('authorization', `Bearer ${bob}`).expect(200);
    assert.deepEqual(bobs.body, []);
    const alices = await api().get('/apps').set('authorization', `Bearer ${alice}`).expect(200);
    assert.deepEqual(alices.body.map((a: { name: string }) => a.name), ['hello-api']);
    await api().get('/apps/hello-api').set('authorization', `Bearer ${admin}`).expect(200);
  });

  test('a new app has no releases; unknown releases and routes are 404 JSON', async () => {
    const res = await api().get('/apps/hello-api/releases').set('authorization', `Bearer ${alice}`).expect(200);
    assert.deepEqual(res.body, []);
    const missing = await api().get('/apps/hello-api/releases/7').set('authorization', `Bearer ${alice}`).expect(404);
    assert.equal(missing.body.id, 'not_found');
    const route = await api().get('/nope').set('authorization', `Bearer ${alice}`).expect(404);
    assert.equal(route.body.id, 'not_found');
  });

  test('the internal push endpoint refuses a wrong hook secret', async () => {
    const res = await api().post('/internal/push/hello-api').set('x-paas-hook-secret', 'guess').send('x').expect(401);
    assert.equal(res.body.id, 'unauthorized');
  });

  test('deleting an app removes it', async () => {
    const res = await api().delete('/apps/hello-api').set('authorization', `Bearer ${alice}`).expect(200);
    assert.equal(res.body.name, 'hello-api');
    await api().get('/apps/hello-api').set('authorization', `Bearer ${alice}`).expect(404);
  });
});

describe('users, tokens, collaborators, maintenance', () => {
  const config = testConfig();
  let ctl: ControllerHandle;
  let admin: string;
  const api = () => request(ctl.server);

  before(async () => {
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
    admin = `Bearer ${readAdminToken(config)}`;
  });
  after(async () => { await ctl.close(); removeDataDir(config); });

  test('admins create users (with a first token); others may not', async () => {
    const res = await api().post('/users').set('authorization', admin).send({ email: 'carol@example.com' }).expect(201);
    assert.equal(res.body.email, 'carol@example.com');
    assert.equal(res.body.admin, false);
    const carol = `Bearer ${res.body.access_token.token}`;
    await api().get('/account').set('authorization', carol).expect(200);
    await api().post('/users').set('authorization', carol).send({ email: 'eve@example.com' }).expect(403);
    await api().post('/users').set('authorization', admin).send({ email: 'carol@example.com' }).expect(409);
    await api().post('/users').set('authorization', admin).send({ email: 'not-an-email' }).expect(422);
  });

  test('tokens can be listed, created and revoked; a revoked token stops working', async () => {
    const made = await api().post('/oauth/authorizations').set('authorization', admin).send({ description: 'ci' }).expect(201);
    const ci = `Bearer ${made.body.access_token.token}`;
    await api().get('/apps').set('authorization', ci).expect(200);
    const list = await api().get('/oauth/authorizations').set('authorization', admin).expect(200);
    assert.ok(list.body.some((t: { id: string; description: string }) => t.id === made.body.id && t.description === 'ci'));
    assert.ok(!JSON.stringify(list.body).includes(made.body.access_token.token), 'tokens are never listed');
    await api().delete(`/oauth/authorizations/${made.body.id}`).set('authorization', admin).expect(200);
    await api().get('/apps').set('authorization', ci).expect(401);
  });

  test('collaborators see and manage the app; only the owner adds them or destroys it', async () => {
    const dave = await api().post('/users').set('authorization', admin).send({ email: 'dave@example.com' }).expect(201);
    const frank = await api().post('/users').set('authorization', admin).send({ email: 'frank@example.com' }).expect(201);
    const d = `Bearer ${dave.body.access_token.token}`;
    const f = `Bearer ${frank.body.access_token.token}`;
    await api().post('/apps').set('authorization', d).send({ name: 'shared' }).expect(201);
    await api().get('/apps/shared').set('authorization', f).expect(404);
    await api().post('/apps/shared/collaborators').set('authorization', d).send({ user: 'frank@example.com' }).expect(201);
    await api().get('/apps/shared').set('authorization', f).expect(200);
    await api().post('/apps/shared/collaborators').set('authorization', f).send({ user: 'carol@example.com' }).expect(403);
    await api().delete('/apps/shared').set('authorization', f).expect(403);
    const collabs = await api().get('/apps/shared/collaborators').set('authorization', f).expect(200);
    assert.deepEqual(collabs.body.map((c: { user: { email: string } }) => c.user.email), ['frank@example.com']);
    await api().delete('/apps/shared/collaborators/frank@example.com').set('authorization', d).expect(200);
    await api().get('/apps/shared').set('authorization', f).expect(404);
  });

  test('custom domains are validated, unique, and listed after the default one', async () => {
    const add = await api().post('/apps/shared/domains').set('authorization', admin).send({ hostname: 'www.example.com' }).expect(201);
    assert.equal(add.body.kind, 'custom');
    assert.equal(add.body.cname, `shared.${config.domain}`);
    await api().post('/apps/shared/domains').set('authorization', admin).send({ hostname: 'www.example.com' }).expect(409);
    await api().post('/apps/shared/domains').set('authorization', admin).send({ hostname: 'not a host' }).expect(422);
    await api().post('/apps/shared/domains').set('authorization', admin).send({ hostname: `x.${config.domain}` }).expect(422);
    const list = await api().get('/apps/shared/domains').set('authorization', admin).expect(200);
    assert.deepEqual(list.body.map((d: { hostname: string }) => d.hostname), [`shared.${config.domain}`, 'www.example.com']);
    await api().delete('/apps/shared/domains/www.example.com').set('authorization', admin).expect(200);
    await api().delete('/apps/shared/domains/www.example.com').set('authorization', admin).expect(404);
  });

  test('maintenance mode is a boolean flag on the app; renames are refused clearly', async () => {
    const on = await api().patch('/apps/shared').set('authorization', admin).send({ maintenance: true }).expect(200);
    assert.equal(on.body.maintenance, true);
    await api().patch('/apps/shared').set('authorization', admin).send({ maintenance: 'yes' }).expect(422);
    const rn = await api().patch('/apps/shared').set('authorization', admin).send({ name: 'other' }).expect(422);
    assert.match(rn.body.message, /not supported/);
  });
});

describe('rate limit', () => {
  const config = testConfig({ apiRateLimit: 3 });
  let ctl: ControllerHandle;

  before(async () => {
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
  });
  after(async () => { await ctl.close(); removeDataDir(config); });

  test('each account has its own bucket; an empty one answers 429 with Heroku\'s id', async () => {
    const admin = `Bearer ${readAdminToken(config)}`;
    const other = `Bearer ${issueToken(ctl.db, createUser(ctl.db, 'o@example.com', false).id, 't').token}`;
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await request(ctl.server).get('/apps').set('authorization', admin).expect(200)).headers['ratelimit-remaining']);
    assert.deepEqual(seen, ['2', '1', '0']);
    const res = await request(ctl.server).get('/apps').set('authorization', admin).expect(429);
    assert.equal(res.body.id, 'rate_limit');
    assert.ok(Number(res.headers['retry-after']) > 0);
    await request(ctl.server).get('/apps').set('authorization', other).expect(200);
  });
});
