// API tests: supertest against the real express app, real SQLite store and real Redis,
// with the in-memory scheduler standing in for Docker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import request from 'supertest';
import { appendAppLog } from '../../common/app-log.ts';
import { appLogKey, routeTableKey } from '../../common/redis-keys.ts';
import { buildCacheDir } from '../../common/build-cache.ts';
import type { RouteTable } from '../../common/routes.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler, type MemoryScheduler } from '../scheduler/memory-scheduler.ts';
import type { RegistryClient } from '../services/registry.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { insertConfig } from '../store/configs.ts';
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
    assert.deepEqual(collabs.body.map((c: { user: { email: string }; role: string }) => `${c.user.email} ${c.role}`), ['dave@example.com owner', 'frank@example.com collaborator']);
    await api().delete('/apps/shared/collaborators/dave@example.com').set('authorization', d).expect(422);
    await api().post('/apps/shared/collaborators').set('authorization', d).send({ user: 'dave@example.com' }).expect(422);
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

  test('maintenance mode is a boolean flag on the app; PATCH {name} renames it', async () => {
    const on = await api().patch('/apps/shared').set('authorization', admin).send({ maintenance: true }).expect(200);
    assert.equal(on.body.maintenance, true);
    await api().patch('/apps/shared').set('authorization', admin).send({ maintenance: 'yes' }).expect(422);
    const rn = await api().patch('/apps/shared').set('authorization', admin).send({ name: 'other' }).expect(200);
    assert.equal(rn.body.id, on.body.id);
    assert.equal(rn.body.name, 'other');
    assert.equal(rn.body.maintenance, true);
    assert.equal(rn.body.git_url, `${config.apiUrl}/other.git`);
    assert.equal(rn.body.web_url, `http://other.localhost:${config.routerPort}/`);
    await api().get('/apps/shared').set('authorization', admin).expect(404);
    const bad = await api().patch('/apps/other').set('authorization', admin).send({ name: 'Not_Valid' }).expect(422);
    assert.match(bad.body.message, /lowercase letters, digits/);
  });
});

describe('app rename', () => {
  const config = testConfig();
  let ctl: ControllerHandle;
  let scheduler: MemoryScheduler;
  let redis: Redis;
  let admin: string;
  let carol: string;
  let appId = '';
  const calls: string[] = [];
  /** A registry that records what it is asked; `fail` makes the next copy throw. */
  const registry: RegistryClient & { fail: boolean } = {
    fail: false,
    retag: async (repo, from, to) => { calls.push(`retag ${repo} ${from} ${to}`); },
    tags: async () => [],
    async copyRepository(from, to) {
      calls.push(`copy ${from} ${to}`);
      if (this.fail) { this.fail = false; throw new Error('registry unavailable'); }
      return ['v1'];
    },
    deleteRepository: async (repo) => { calls.push(`delete ${repo}`); },
  };
  const api = () => request(ctl.server);
  const dynos = async (app: string): Promise<string[]> =>
    (await scheduler.list(app)).map((d) => `${d.name}@v${d.release}`).sort();
  const routeTable = async (): Promise<RouteTable> => JSON.parse((await redis.get(routeTableKey(config.redisPrefix))) ?? '{}') as RouteTable;
  const repoDir = (app: string): string => path.join(config.dataDir, 'repos', `${app}.git`);

  before(async () => {
    scheduler = createMemoryScheduler();
    ctl = await startController({ config, docker: new Dockerode(), scheduler, registry, log: () => undefined });
    redis = new Redis(config.redisUrl);
    admin = `Bearer ${readAdminToken(config)}`;
    const c = createUser(ctl.db, 'carol@example.com', false);
    carol = `Bearer ${issueToken(ctl.db, c.id, 'test').token}`;
    await api().post('/apps').set('authorization', admin).send({ name: 'before' }).expect(201);
    await api().post('/apps').set('authorization', admin).send({ name: 'taken' }).expect(201);
    await api().post('/apps/before/collaborators').set('authorization', admin).send({ user: 'carol@example.com' }).expect(201);
    await api().post('/apps/before/domains').set('authorization', admin).send({ hostname: 'www.rename.example' }).expect(201);
    // v1 as a push leaves it (build + release), then a config change starts v2's dynos.
    const app = findApp(ctl.db, 'before')!;
    appId = app.id;
    const build = insertBuild(ctl.db, app.id, null, 'abc');
    finishBuild(ctl.db, build.id, { status: 'succeeded', image: `${config.registry}/before:build-${build.id}`, processTypes: { web: 'node s.js', worker: 'node w.js' } });
    setReleaseStatus(ctl.db, insertRelease(ctl.db, { appId: app.id, buildId: build.id, configId: insertConfig(ctl.db, app.id, {}).id, description: 'Deploy abc', userId: null }).id, 'succeeded');
    await api().patch('/apps/before/config-vars').set('authorization', admin).send({ GREETING: 'hi' }).expect(200);
    await api().patch('/apps/before/formation/worker').set('authorization', admin).send({ quantity: 2 }).expect(200);
    fs.mkdirSync(buildCacheDir(config.dataDir, 'before'), { recursive: true });
    fs.writeFileSync(path.join(buildCacheDir(config.dataDir, 'before'), 'marker'), 'cached');
    await appendAppLog(redis, config.redisPrefix, 'before', { source: 'app', dyno: 'api', line: 'an old line' });
  });
  after(async () => {
    redis.disconnect();
    await ctl.close();
    removeDataDir(config);
  });

  test('bad names are 422, taken ones 409, collaborators 403, and nothing changes', async () => {
    for (const name of ['UPPER', 'ab', 'x'.repeat(31), 'has_underscore', 'double--dash', 5]) {
      const res = await api().patch('/apps/before').set('authorization', admin).send({ name }).expect(422);
      assert.equal(res.body.id, 'invalid_params');
    }
    const taken = await api().patch('/apps/before').set('authorization', admin).send({ name: 'taken' }).expect(409);
    assert.match(taken.body.message, /already taken/);
    const forbidden = await api().patch('/apps/before').set('authorization', carol).send({ name: 'carols' }).expect(403);
    assert.match(forbidden.body.message, /owner/);
    const same = await api().patch('/apps/before').set('authorization', admin).send({ name: 'before' }).expect(200);
    assert.equal(same.body.name, 'before');
    assert.deepEqual(calls.filter((c) => c.startsWith('copy')), []);
  });

  test('a pending build refuses the rename with 409', async () => {
    const pending = insertBuild(ctl.db, appId, null, 'def');
    const res = await api().patch('/apps/before').set('authorization', admin).send({ name: 'during-build' }).expect(409);
    assert.match(res.body.message, /build in progress/);
    finishBuild(ctl.db, pending.id, { status: 'failed', error: 'test' });
    await api().get('/apps/before').set('authorization', admin).expect(200);
  });

  test('a failure midway leaves the app as it was', async () => {
    registry.fail = true;
    calls.length = 0;
    await api().patch('/apps/before').set('authorization', admin).send({ name: 'half-way' }).expect(500);
    assert.deepEqual(calls, ['delete half-way', 'copy before half-way', 'delete half-way']);
    await api().get('/apps/before').set('authorization', admin).expect(200);
    assert.deepEqual(await dynos('before'), ['web.1@v2', 'worker.1@v2', 'worker.2@v2']);
    assert.deepEqual(await dynos('half-way'), []);
    assert.ok(fs.existsSync(repoDir('before')));
    assert.ok(!fs.existsSync(repoDir('half-way')));

    scheduler.failNextStart(new Error('web.1 did not boot'));
    await api().patch('/apps/before').set('authorization', admin).send({ name: 'half-way' }).expect(500);
    await api().get('/apps/before').set('authorization', admin).expect(200);
    assert.deepEqual(await dynos('before'), ['web.1@v2', 'worker.1@v2', 'worker.2@v2']);
    assert.deepEqual(await dynos('half-way'), []);
    assert.equal(calls.at(-1), 'delete half-way');
    // The name is free again.
    await api().post('/apps').set('authorization', admin).send({ name: 'half-way' }).expect(201);
    await api().delete('/apps/half-way').set('authorization', admin).expect(200);
  });

  test('the app keeps its id, releases, config, domains, collaborators and formation; what is named after it moves', async () => {
    calls.length = 0;
    const res = await api().patch('/apps/before').set('authorization', admin).send({ name: 'after' }).expect(200);
    assert.equal(res.body.id, appId);
    assert.equal(res.body.name, 'after');
    assert.equal(res.body.git_url, `${config.apiUrl}/after.git`);
    assert.equal(res.body.web_url, `http://after.localhost:${config.routerPort}/`);
    await api().get('/apps/before').set('authorization', admin).expect(404);

    const releases = await api().get('/apps/after/releases').set('authorization', admin).expect(200);
    assert.deepEqual(releases.body.map((r: { version: number; current: boolean }) => [r.version, r.current]), [[1, false], [2, true]]);
    assert.deepEqual((await api().get('/apps/after/config-vars').set('authorization', admin).expect(200)).body, { GREETING: 'hi' });
    const domains = await api().get('/apps/after/domains').set('authorization', admin).expect(200);
    assert.deepEqual(domains.body.map((d: { hostname: string }) => d.hostname), [`after.${config.domain}`, 'www.rename.example']);
    await api().get('/apps/after').set('authorization', carol).expect(200);
    const formation = await api().get('/apps/after/formation').set('authorization', admin).expect(200);
    assert.deepEqual(formation.body.map((f: { type: string; quantity: number }) => `${f.type}=${f.quantity}`), ['web=1', 'worker=2']);

    // Images copied to the new repository before the switch, the old one deleted after it.
    assert.deepEqual(calls, ['delete after', 'copy before after', 'delete before']);
    // The current release runs under the new name (from the new repository); nothing under the old.
    assert.deepEqual(await dynos('after'), ['web.1@v2', 'worker.1@v2', 'worker.2@v2']);
    assert.deepEqual(await dynos('before'), []);
    assert.equal(scheduler.started.at(-1)?.app, 'after');
    assert.equal(scheduler.started.at(-1)?.image, `${config.registry}/after:v2`);
    assert.equal(scheduler.started.at(-1)?.env.GREETING, 'hi');
    // Routes: the default hostname changed, the custom domain came along.
    const table = await routeTable();
    assert.equal(table.apps.find((a) => a.app === 'before'), undefined);
    const route = table.apps.find((a) => a.app === 'after');
    assert.deepEqual(route?.hosts, [`after.${config.domain}`, 'www.rename.example']);
    assert.deepEqual(route?.backends.map((b) => b.dyno), ['web.1']);
    // Repository, build cache and log stream moved.
    assert.ok(fs.existsSync(path.join(repoDir('after'), 'hooks', 'pre-receive')));
    assert.ok(!fs.existsSync(repoDir('before')));
    assert.equal(fs.readFileSync(path.join(buildCacheDir(config.dataDir, 'after'), 'marker'), 'utf8'), 'cached');
    assert.ok(!fs.existsSync(buildCacheDir(config.dataDir, 'before')));
    assert.equal(await redis.exists(appLogKey(config.redisPrefix, 'before')), 0);
    const log = await api().get('/apps/after/log-stream').set('authorization', admin).expect(200);
    assert.match(log.text, /app\[api\]: an old line\n/);
    assert.match(log.text, /app\[api\]: Rename from before to after by admin@paas\.local\n/);
  });

  test('the old name is free afterwards and rollbacks work under the new one', async () => {
    await api().post('/apps').set('authorization', admin).send({ name: 'before' }).expect(201);
    await api().get('/apps/before/releases').set('authorization', admin).expect(200, []);
    calls.length = 0;
    const v1 = await api().get('/apps/after/releases/1').set('authorization', admin).expect(200);
    const rb = await api().post('/apps/after/releases').set('authorization', admin).send({ release: '1' }).expect(201);
    assert.equal(rb.body.version, 3);
    assert.deepEqual(calls, [`retag after build-${v1.body.slug.id} v3`]);
    assert.deepEqual(await dynos('after'), ['web.1@v3', 'worker.1@v3', 'worker.2@v3']);
    assert.equal(scheduler.started.at(-1)?.image, `${config.registry}/after:v3`);
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
