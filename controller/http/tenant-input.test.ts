// Attacks a tenant makes through the API, each tried for real against one controller (real
// SQLite and Redis, HTTP through supertest, in-memory scheduler) on a platform that does not
// allow private URLs, as in production.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import request from 'supertest';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { run } from '../../builder/exec-file.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { appendAppLog } from '../../common/app-log.ts';
import { deleteApp, findApp } from '../store/apps.ts';
import { nullRegistry as registry } from './api.test-support.ts';
import { addDomain } from '../store/domains.ts';

/** Real git in `work`, with an empty HOME (no credentials of this machine), at most 30 s a command. */
const gitIn = (work: string, home: string) => (...args: string[]) =>
  run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args],
    { cwd: work, env: { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0' }, timeoutMs: 30_000 });


describe('tenant input is hostile', () => {
  const config = testConfig({
    allowPrivateUrls: false, domain: 'apps.paas.test', apiUrl: 'http://api.paas.test:7000', registry: 'registry.paas.test:5000',
    sourceMaxBytes: 1024 * 1024, maxAppsPerUser: 2, maxBuildsPerUser: 1,
  });
  let ctl: ControllerHandle;
  let admin: string;
  let alice: string;
  let mallory: string;
  /** A loopback HTTP server standing for an internal service: it records what reaches it. */
  let internal: http.Server;
  const reached: string[] = [];
  let internalUrl = '';
  const api = () => request(ctl.server);
  const as = (token: string) => ({
    get: (url: string) => api().get(url).set('authorization', `Bearer ${token}`),
    post: (url: string, body?: object) => api().post(url).set('authorization', `Bearer ${token}`).send(body ?? {}),
    put: (url: string, body?: object) => api().put(url).set('authorization', `Bearer ${token}`).send(body ?? {}),
    patch: (url: string, body?: object) => api().patch(url).set('authorization', `Bearer ${token}`).send(body ?? {}),
    delete: (url: string) => api().delete(url).set('authorization', `Bearer ${token}`),
  });

  before(async () => {
    internal = http.createServer((req, res) => { reached.push(req.url ?? ''); res.end('internal secret'); });
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', () => r()));
    internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), registry, log: () => undefined });
    admin = readAdminToken(config);
    const user = async (email: string) => (await as(admin).post('/users', { email }).expect(201)).body.access_token.token as string;
    alice = await user('alice@example.com');
    mallory = await user('mallory@example.com');
    await as(alice).post('/apps', { name: 'shop' }).expect(201);
    await as(mallory).post('/apps', { name: 'evil' }).expect(201);
  });
  after(async () => { await ctl.close(); internal.close(); removeDataDir(config); });

  test('custom domains: IP literals and the platform\'s own names are refused', async () => {
    for (const hostname of ['127.0.0.1', '169.254.169.254', '0x7f.1', '10.0.0.1', 'localhost', 'registry.localhost',
      'apps.paas.test', 'shop.apps.paas.test', 'SHOP.Apps.Paas.Test.', 'api.paas.test', 'registry.paas.test', 'x.api.paas.test']) {
      const res = await as(mallory).post('/apps/evil/domains', { hostname });
      assert.equal(res.status, 422, `${hostname}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual((await as(mallory).get('/apps/evil/domains').expect(200)).body.map((d: { hostname: string }) => d.hostname), ['evil.apps.paas.test']);
  });

  test('a custom domain stored before the checks (an IP literal, a platform name) is not routed', async () => {
    const evil = findApp(ctl.db, 'evil')!;
    for (const hostname of ['127.0.0.1', 'api.paas.test']) addDomain(ctl.db, evil.id, hostname);
    const table = await ctl.routes.sync();
    const hosts = table.apps.find((a) => a.app === 'evil')?.hosts ?? [];
    assert.deepEqual(hosts, ['evil.apps.paas.test']);
    for (const hostname of ['127.0.0.1', 'api.paas.test']) ctl.db.prepare('DELETE FROM domains WHERE hostname = ?').run(hostname);
  });

  test('custom domains: a name another app has is refused, whatever its case or trailing dot', async () => {
    await as(alice).post('/apps/shop/domains', { hostname: 'www.shop.example' }).expect(201);
    for (const hostname of ['www.shop.example', 'WWW.Shop.Example', 'www.shop.example.', 'Www.Shop.Example.']) {
      const res = await as(mallory).post('/apps/evil/domains', { hostname });
      assert.equal(res.status, 409, `${hostname}: ${res.status}`);
      assert.equal(res.body.id, 'conflict');
    }
    // The owner adding it again in another spelling is the same conflict, not a second row.
    await as(alice).post('/apps/shop/domains', { hostname: 'WWW.SHOP.EXAMPLE.' }).expect(409);
    // A new name is stored in the form the router matches.
    const added = await as(mallory).post('/apps/evil/domains', { hostname: 'Evil.Example.' }).expect(201);
    assert.equal(added.body.hostname, 'evil.example');
    await as(mallory).delete('/apps/evil/domains/EVIL.example.').expect(200);
  });

  test('buildpack URLs to loopback, link-local or private addresses are refused at the API', async () => {
    for (const buildpack of ['http://127.0.0.1:8080/x.git', 'http://localhost:7000/x.git', 'http://169.254.169.254/x.git', 'git://[::1]/x.git', 'https://10.1.2.3/x.git']) {
      const res = await as(mallory).put('/apps/evil/buildpack-installations', { updates: [{ buildpack }] });
      assert.equal(res.status, 422, buildpack);
      assert.equal(res.body.id, 'url_not_allowed');
    }
  });

  test('SSRF: a build from a source_blob.url on an internal address never reaches it', async () => {
    reached.length = 0;
    for (const url of [`${internalUrl}/secret.tgz`, `http://localhost:${new URL(internalUrl).port}/x`, 'http://[::ffff:127.0.0.1]:6379/']) {
      const res = await as(mallory).post('/apps/evil/builds', { source_blob: { url } });
      assert.equal(res.status, 422, url);
      assert.doesNotMatch(res.body.message, /internal secret|ECONNREFUSED/);
    }
    assert.deepEqual(reached, []);
  });
  test('a push whose files expand past the source limit, a too large pack, or a too large hook body is refused', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bomb-'));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-githome-'));
    try {
      const git = gitIn(work, home);
      const remote = `${ctl.url.replace('//', `//user:${mallory}@`)}/evil.git`;
      const push = () => git('push', remote, 'main').then(() => 'pushed', (err: Error) => err.message);
      await git('init', '-q');
      // 8 MiB of zeros: an 8 KiB pack.
      fs.writeFileSync(path.join(work, 'zeros.bin'), Buffer.alloc(8 * 1024 * 1024));
      await git('add', '-A');
      await git('commit', '-q', '-m', 'bomb');
      assert.match(await push(), /remote: +! +Push rejected: the pushed files are larger than 1 MiB once unpacked/);
      // 2 MiB that does not compress: the pack itself is over the limit.
      fs.rmSync(path.join(work, 'zeros.bin'));
      fs.writeFileSync(path.join(work, 'noise.bin'), randomBytes(2 * 1024 * 1024));
      await git('add', '-A');
      await git('commit', '-q', '-m', 'noise');
      assert.match(await push(), /pack exceeds maximum allowed size|the remote end hung up/);
      // The hook's endpoint holds the tar to the same limit.
      const secret = fs.readFileSync(path.join(config.dataDir, 'hook.secret'), 'utf8').trim();
      const res = await api().post('/internal/push/evil').set('x-paas-hook-secret', secret).set('content-type', 'application/x-tar').send(Buffer.alloc(2 * 1024 * 1024));
      assert.equal(res.status, 413);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
  test('per-user quotas: apps owned and builds under way (422; a remote: line for a push)', async () => {
    await as(mallory).post('/apps', { name: 'evil2' }).expect(201);
    const third = await as(mallory).post('/apps', { name: 'evil3' }).expect(422);
    assert.equal(third.body.id, 'limit_reached');
    await as(admin).post('/apps', { name: 'admins-are-not-limited' }).expect(201);
    // A build that stays under way (no builder runs here), from an uploaded source.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-quota-'));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-githome-'));
    try {
      fs.writeFileSync(path.join(work, 'index.html'), 'hi');
      const tarball = (await run('tar', ['-C', work, '-czf', path.join(home, 'src.tgz'), '.']), fs.readFileSync(path.join(home, 'src.tgz')));
      const source = (await as(mallory).post('/apps/evil2/sources').expect(201)).body.source_blob;
      const put = new URL(source.put_url);
      await api().put(`${put.pathname}${put.search}`).set('content-type', 'application/octet-stream').send(tarball).expect(200);
      await as(mallory).post('/apps/evil2/builds', { source_blob: { url: source.get_url } }).expect(201);
      const source2 = (await as(mallory).post('/apps/evil2/sources').expect(201)).body.source_blob;
      const put2 = new URL(source2.put_url);
      await api().put(`${put2.pathname}${put2.search}`).set('content-type', 'application/octet-stream').send(tarball).expect(200);
      const second = await as(mallory).post('/apps/evil2/builds', { source_blob: { url: source2.get_url } }).expect(422);
      assert.match(second.body.message, /1 builds under way/);
      // The same limit on a git push: the pusher reads it.
      const git = gitIn(work, home);
      await git('init', '-q');
      await git('add', '-A');
      await git('commit', '-q', '-m', 'x');
      const pushed = await git('push', `${ctl.url.replace('//', `//user:${mallory}@`)}/evil2.git`, 'main').then(() => 'pushed', (err: Error) => err.message);
      assert.match(pushed, /remote: +! +Push rejected: You have 1 builds under way/);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('off-boarding, destroyed apps and login throttling', () => {
  const config = testConfig();
  const redis = new Redis(config.redisUrl);
  let ctl: ControllerHandle;
  let admin: string;
  const api = () => request(ctl.server);
  const bearer = (token: string) => `Bearer ${token}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-githome-'));
  /** Real git against the controller's git endpoint, with `token` as the password. */
  const lsRemote = (token: string, app: string) =>
    run('git', ['ls-remote', `${ctl.url.replace('//', `//user:${token}@`)}/${app}.git`], { env: { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0' } })
      .then(() => 'ok', (err: Error) => err.message);
  const newUser = async (email: string): Promise<string> =>
    (await api().post('/users').set('authorization', bearer(admin)).send({ email }).expect(201)).body.access_token.token as string;

  before(async () => {
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), registry, log: () => undefined });
    admin = readAdminToken(config);
  });
  after(async () => { await ctl.close(); redis.disconnect(); removeDataDir(config); fs.rmSync(home, { recursive: true, force: true }); });

  test('a disabled user can do nothing with any token, API or git, until enabled again', async () => {
    const bob = await newUser('bob@example.com');
    await api().post('/apps').set('authorization', bearer(bob)).send({ name: 'bobapp' }).expect(201);
    assert.equal(await lsRemote(bob, 'bobapp'), 'ok');
    await api().patch('/users/bob@example.com').set('authorization', bearer(bob)).send({ disabled: true }).expect(403);
    const off = await api().patch('/users/bob@example.com').set('authorization', bearer(admin)).send({ disabled: true }).expect(200);
    assert.equal(off.body.disabled, true);
    await api().get('/apps').set('authorization', bearer(bob)).expect(401);
    assert.match(await lsRemote(bob, 'bobapp'), /Authentication failed|401|could not read/i);
    await api().patch('/users/bob@example.com').set('authorization', bearer(admin)).send({ disabled: false }).expect(200);
    await api().get('/apps').set('authorization', bearer(bob)).expect(200);
  });

  test('an admin sees and revokes other users\' tokens; a user cannot revoke another\'s', async () => {
    const carol = await newUser('carol@example.com');
    const dave = await newUser('dave@example.com');
    const extra = (await api().post('/oauth/authorizations').set('authorization', bearer(carol)).send({ description: 'laptop' }).expect(201)).body;
    await api().delete(`/oauth/authorizations/${extra.id}`).set('authorization', bearer(dave)).expect(404);
    await api().get('/users/carol@example.com/authorizations').set('authorization', bearer(dave)).expect(403);
    const listed = await api().get('/users/carol@example.com/authorizations').set('authorization', bearer(admin)).expect(200);
    assert.deepEqual(listed.body.map((t: { description: string }) => t.description).sort(), ['initial token', 'laptop']);
    await api().delete(`/oauth/authorizations/${extra.id}`).set('authorization', bearer(admin)).expect(200);
    await api().get('/account').set('authorization', bearer(extra.access_token.token)).expect(401);
    await api().get('/account').set('authorization', bearer(carol)).expect(200);
    const all = await api().delete('/users/carol@example.com/authorizations').set('authorization', bearer(admin)).expect(200);
    assert.equal(all.body.revoked, 1);
    await api().get('/account').set('authorization', bearer(carol)).expect(401);
  });

  test('a user who owns apps is not deleted; once they own none, they and their tokens are gone', async () => {
    const erin = await newUser('erin@example.com');
    await api().post('/apps').set('authorization', bearer(erin)).send({ name: 'erinapp' }).expect(201);
    const refused = await api().delete('/users/erin@example.com').set('authorization', bearer(admin)).expect(409);
    assert.match(refused.body.message, /owns erinapp/);
    await api().delete('/apps/erinapp').set('authorization', bearer(admin)).expect(200);
    await api().delete('/users/erin@example.com').set('authorization', bearer(admin)).expect(200);
    await api().get('/account').set('authorization', bearer(erin)).expect(401);
    const users = await api().get('/users').set('authorization', bearer(admin)).expect(200);
    assert.equal(users.body.some((u: { email: string }) => u.email === 'erin@example.com'), false);
  });

  test('tokens with expires_in stop working once expired', async () => {
    const t = (await api().post('/oauth/authorizations').set('authorization', bearer(admin)).send({ description: 'ci', expires_in: 3600 }).expect(201)).body;
    assert.equal(t.access_token.expires_in, 3600);
    assert.ok(Math.abs(Date.parse(t.expires_at) - Date.now() - 3600_000) < 60_000);
    await api().get('/account').set('authorization', bearer(t.access_token.token)).expect(200);
    // An hour later (the clock of the store, moved back by the test).
    ctl.db.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), t.id);
    await api().get('/account').set('authorization', bearer(t.access_token.token)).expect(401);
    await api().post('/oauth/authorizations').set('authorization', bearer(admin)).send({ expires_in: 5 }).expect(422);
  });

  /** A commit pushed straight into the app's bare repository (its pre-receive hook bypassed: no build). */
  async function pushSecretCommit(app: string): Promise<void> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-work-'));
    try {
      const git = gitIn(work, home);
      fs.writeFileSync(path.join(work, 'secret.txt'), 'the old owner\'s secret');
      await git('init', '-q');
      await git('add', '-A');
      await git('commit', '-q', '-m', 'secret');
      await git('push', '-q', '--receive-pack=git -c core.hooksPath=/dev/null receive-pack', path.join(config.dataDir, 'repos', `${app}.git`), 'main');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  /** What the next owner gets: the refs of a real `git ls-remote` and the app's log. */
  async function whatNextOwnerSees(token: string, app: string): Promise<{ refs: string; log: string }> {
    const refs = await run('git', ['ls-remote', `${ctl.url.replace('//', `//user:${token}@`)}/${app}.git`], { env: { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0' } });
    const log = await api().get(`/apps/${app}/log-stream?lines=100`).set('authorization', bearer(token)).expect(200);
    return { refs: refs.stdout.trim(), log: log.text };
  }

  test('a destroyed app\'s repository and log do not reach the next owner of its name', async () => {
    const frank = await newUser('frank@example.com');
    const grace = await newUser('grace@example.com');
    await api().post('/apps').set('authorization', bearer(frank)).send({ name: 'reused' }).expect(201);
    await pushSecretCommit('reused');
    await appendAppLog(redis, config.redisPrefix, 'reused', { source: 'app', dyno: 'web.1', line: 'DATABASE_URL=postgres://frank:pw@db' });
    assert.match((await whatNextOwnerSees(frank, 'reused')).refs, /refs\/heads\/main/);
    await api().delete('/apps/reused').set('authorization', bearer(frank)).expect(200);
    assert.equal(fs.existsSync(path.join(config.dataDir, 'repos', 'reused.git')), false);
    await api().post('/apps').set('authorization', bearer(grace)).send({ name: 'reused' }).expect(201);
    const seen = await whatNextOwnerSees(grace, 'reused');
    assert.equal(seen.refs, '');
    assert.doesNotMatch(seen.log, /frank/);
  });

  test('a destroy that crashed after the app\'s row was deleted leaks nothing to the next owner either', async () => {
    const heidi = await newUser('heidi@example.com');
    const ivan = await newUser('ivan@example.com');
    await api().post('/apps').set('authorization', bearer(heidi)).send({ name: 'crashed' }).expect(201);
    await pushSecretCommit('crashed');
    await appendAppLog(redis, config.redisPrefix, 'crashed', { source: 'app', dyno: 'web.1', line: 'heidi was here' });
    // What an interrupted destroy (paasd killed) left: the row gone, repository and log still there.
    deleteApp(ctl.db, findApp(ctl.db, 'crashed')!.id);
    await api().post('/apps').set('authorization', bearer(ivan)).send({ name: 'crashed' }).expect(201);
    const seen = await whatNextOwnerSees(ivan, 'crashed');
    assert.equal(seen.refs, '');
    assert.doesNotMatch(seen.log, /heidi/);
  });

  // Last: it locks this client address out.
  test('failed logins are throttled per address: then even a right token, git or the push hook get 429', async () => {
    // 20 failures at most (some were spent above by the revoked and disabled tokens), then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await api().get('/apps').set('authorization', bearer(`paas_guess${i}`))).status);
    assert.equal(statuses[0], 401);
    assert.equal(statuses.at(-1), 429);
    assert.deepEqual(statuses, [...statuses].sort(), 'no 401 after the first 429');
    const locked = await api().get('/apps').set('authorization', bearer(admin)).expect(429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match(locked.body.message, /Too many failed logins/);
    assert.match(await lsRemote(admin, 'bobapp'), /429|Too many failed logins/);
    await api().post('/internal/push/bobapp').set('x-paas-hook-secret', 'guess').expect(429);
  });
});
