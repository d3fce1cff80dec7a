// Every route's real responses against its schema contract (schemas/index.ts): one controller
// (real SQLite and Redis, in-memory scheduler) is driven through each route; every JSON answer,
// errors included, is checked as it leaves, and each route must have answered successfully once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import request from 'supertest';
import { makeCertificate } from '../../common/x509.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertConfig } from '../store/configs.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { Problem } from './schemas/common.ts';
import { routeSpecs } from './schemas/index.ts';
import { schemaErrors } from './validate.ts';
import { nullRegistry as registry } from './api.test-support.ts';


describe('API responses match their schemas', () => {
  const config = testConfig({ webhookRetryBaseMs: 60_000 });
  const answered = new Set<string>();
  const violations: string[] = [];
  let ctl: ControllerHandle;
  let auth: string;
  const api = () => request(ctl.server);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-contract-'));

  before(async () => {
    ctl = await startController({
      config, docker: new Dockerode(), scheduler: createMemoryScheduler(), registry, log: () => undefined, webhookScanMs: 100,
      onResponse: (spec, status, body) => {
        const key = `${spec.method} ${spec.path}`;
        const schema = status >= 400 ? Problem : spec.response;
        if (!schema) return;
        const errors = schemaErrors(schema, body);
        if (errors.length) violations.push(`${key} ${status}: ${errors.map((e) => `${e.field} ${e.message}`).join(', ')}`);
        if (status < 400) answered.add(key);
      },
    });
    config.apiUrl = ctl.url;
    auth = `Bearer ${readAdminToken(config)}`;
  });
  after(async () => { await ctl.close(); removeDataDir(config); fs.rmSync(tmp, { recursive: true, force: true }); });

  const call = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown) => {
    const req = api()[method](url).set('authorization', auth);
    return body === undefined ? req : req.send(body as object);
  };

  test('each route, called as a client would', async () => {
    await api().get('/healthz').expect(200);
    await api().get('/openapi.json').expect(200);
    await call('get', '/account').expect(200);
    await call('post', '/users', { email: 'carol@example.com' }).expect(201);
    const tok = await call('post', '/oauth/authorizations', { description: 'ci' }).expect(201);
    await call('get', '/oauth/authorizations').expect(200);
    await call('get', `/oauth/authorizations/${tok.body.id}`).expect(200);
    await call('delete', `/oauth/authorizations/${tok.body.id}`).expect(200);
    await call('get', '/users').expect(200);
    await call('patch', '/users/carol@example.com', { disabled: true }).expect(200);
    await call('patch', '/users/carol@example.com', { disabled: false }).expect(200);
    await call('get', '/users/carol@example.com/authorizations').expect(200);
    await call('delete', '/users/carol@example.com/authorizations').expect(200);

    await call('post', '/apps', { name: 'shape' }).expect(201);
    await call('get', '/apps').expect(200);
    await call('get', '/users/~/apps').expect(200);
    await call('get', '/apps/shape').expect(200);
    await call('patch', '/apps/shape', { maintenance: false }).expect(200);
    await call('post', '/apps/shape/collaborators', { user: 'carol@example.com' }).expect(201);
    await call('get', '/apps/shape/collaborators').expect(200);
    await call('delete', '/apps/shape/collaborators/carol@example.com').expect(200);

    // A released build, as a push leaves it.
    const app = findApp(ctl.db, 'shape')!;
    const build = insertBuild(ctl.db, app.id, null, 'abc1234');
    finishBuild(ctl.db, build.id, { status: 'succeeded', image: `${config.registry}/shape:build-${build.id}`, buildpack: 'nodejs', processTypes: { web: 'node s.js' } });
    setReleaseStatus(ctl.db, insertRelease(ctl.db, { appId: app.id, buildId: build.id, configId: insertConfig(ctl.db, app.id, {}).id, description: 'Deploy abc1234', userId: null }).id, 'succeeded');

    await call('patch', '/apps/shape/config-vars', { GREETING: 'hi', GONE: null }).expect(200);
    await call('get', '/apps/shape/config-vars').expect(200);
    await call('get', '/apps/shape/releases').expect(200);
    await call('get', '/apps/shape/releases/1').expect(200);
    await call('get', '/apps/shape/releases/1/config-vars').expect(200);
    await call('post', '/apps/shape/releases', { release: 1 }).expect(201);
    await call('get', '/apps/shape/builds').expect(200);
    await call('get', `/apps/shape/builds/${build.id}`).expect(200);
    await call('get', `/apps/shape/builds/${build.id}/output`).expect(404);
    const pending = insertBuild(ctl.db, app.id, null, 'def5678');
    await call('delete', `/apps/shape/builds/${pending.id}`).expect(200);
    await call('get', '/apps/shape/build-queue').expect(200);
    await call('delete', '/apps/shape/build-cache').expect(200);
    await call('put', '/apps/shape/buildpack-installations', { updates: [{ buildpack: 'nodejs' }] }).expect(200);
    await call('get', '/apps/shape/buildpack-installations').expect(200);

    await call('get', '/apps/shape/formation').expect(200);
    await call('get', '/apps/shape/formation/web').expect(200);
    await call('patch', '/apps/shape/formation', { updates: [{ type: 'web', quantity: 2 }] }).expect(200);
    await call('patch', '/apps/shape/formation/web', { quantity: 1 }).expect(200);
    await call('get', '/apps/shape/dynos').expect(200);
    await call('get', '/apps/shape/metrics?resolution=10m').expect(200);
    await call('get', '/apps/shape/metrics?since=yesterday').expect(422);
    await call('post', '/apps/shape/dynos', { command: 'true' }).expect(201);
    const attached = await call('post', '/apps/shape/dynos', { command: 'true', attach: true, force_no_tty: true, size: 'standard-2X' }).expect(201);
    await call('post', `/apps/shape/dynos/${attached.body.name}/actions/stop`).expect(202);
    await call('delete', '/apps/shape/dynos').expect(200);
    await call('delete', '/apps/shape/dynos/web').expect(200);
    await call('delete', '/apps/shape/formations/web').expect(200);
    await call('post', '/apps/shape/formations/web/actions/stop').expect(202);
    await call('get', '/nodes').expect(200);
    await call('patch', '/nodes/memory', { availability: 'drain' }).expect(200);
    await call('patch', '/nodes/memory', { availability: 'active' }).expect(200);
    await call('get', '/platform/status').expect(200);

    await call('post', '/apps/shape/domains', { hostname: 'www.shape.test' }).expect(201);
    await call('get', '/apps/shape/domains').expect(200);
    await call('delete', '/apps/shape/domains/www.shape.test').expect(200);
    await call('get', '/apps/shape/checks').expect(200);
    await call('patch', '/apps/shape/checks', { health_check_path: '/up', boot_timeout: null }).expect(200);
    const pair = await makeCertificate({ hosts: ['secure.shape.test'] });
    const cert = await call('post', '/apps/shape/sni-endpoints', { certificate_chain: pair.cert, private_key: pair.key }).expect(201);
    await call('get', '/apps/shape/sni-endpoints').expect(200);
    await call('get', `/apps/shape/sni-endpoints/${cert.body.name}`).expect(200);
    // The Heroku CLI's certs:add: the hostnames a certificate covers, associated by its name.
    await call('post', '/apps/shape/domains', { hostname: 'secure.shape.test' }).expect(201);
    const served = await call('get', '/apps/shape/domains/secure.shape.test').expect(200);
    assert.equal(served.body.sni_endpoint.name, cert.body.name);
    await call('patch', '/apps/shape/domains/secure.shape.test', { sni_endpoint: cert.body.name }).expect(200);
    await call('patch', '/apps/shape/domains/shape.localhost', { sni_endpoint: cert.body.name }).expect(422);
    await call('get', '/apps/shape/domains/nope.shape.test').expect(404);
    await call('delete', '/apps/shape/domains/secure.shape.test').expect(200);
    await call('delete', `/apps/shape/sni-endpoints/${cert.body.id}`).expect(200);
    await call('post', '/apps/shape/acm').expect(200);
    await call('get', '/apps/shape/acm').expect(200);
    await call('patch', '/apps/shape/acm/refresh').expect(200);
    await call('delete', '/apps/shape/acm').expect(200);
    await call('patch', '/apps/shape/https', { redirect_https: true }).expect(200);
    await call('get', '/apps/shape/https').expect(200);
    await call('get', '/apps/shape/log-stream?lines=5').expect(200);
    const session = await call('post', '/apps/shape/log-sessions', { lines: 5, tail: false, dyno: 'web' }).expect(201);
    await api().get(new URL(session.body.logplex_url).pathname).expect(200);

    // A source: upload, then build from it (the build starts; the queue has no worker here).
    fs.mkdirSync(path.join(tmp, 'src'));
    fs.writeFileSync(path.join(tmp, 'src', 'index.html'), 'hi');
    const tarball = execFileSync('tar', ['-C', path.join(tmp, 'src'), '-cz', '.']);
    const source = await call('post', '/apps/shape/sources').expect(201);
    const put = new URL(source.body.source_blob.put_url);
    await api().put(`${put.pathname}${put.search}`).set('content-type', 'application/octet-stream').send(tarball).expect(200);
    const get = new URL(source.body.source_blob.get_url);
    await api().get(`${get.pathname}${get.search}`).expect(200);
    await call('post', '/apps/shape/builds', { source_blob: { url: source.body.source_blob.get_url, version: 'v1' } }).expect(201);

    // Webhooks: the receiver is a closed loopback port, so the delivery is retried (base delay 60 s).
    const hook = await call('post', '/apps/shape/webhooks', { include: ['api:release'], url: 'http://127.0.0.1:9/hook' }).expect(201);
    await call('get', '/apps/shape/webhooks').expect(200);
    await call('get', `/apps/shape/webhooks/${hook.body.id}`).expect(200);
    await call('patch', `/apps/shape/webhooks/${hook.body.id}`, { level: 'sync' }).expect(200);
    await call('patch', '/apps/shape/config-vars', { GREETING: 'hello' }).expect(200);
    const delivery = await eventually(async () => {
      const list = await call('get', '/apps/shape/webhook-deliveries').expect(200);
      assert.ok(list.body[0]?.last_attempt);
      return list.body[0] as { id: string };
    }, 10_000);
    await call('get', `/apps/shape/webhook-deliveries/${delivery.id}`).expect(200);
    await call('delete', `/apps/shape/webhooks/${hook.body.id}`).expect(200);
    const drain = await call('post', '/apps/shape/log-drains', { url: 'syslog+tls://127.0.0.1:6514' }).expect(201);
    await call('get', '/apps/shape/log-drains').expect(200);
    await call('get', `/apps/shape/log-drains/${drain.body.id}`).expect(200);
    await call('delete', `/apps/shape/log-drains/${drain.body.id}`).expect(200);

    await call('delete', '/apps/shape').expect(200);
    await call('delete', '/users/carol@example.com').expect(200);
  });

  test('errors have the error shape, and a 422 names every field', async () => {
    await call('get', '/apps/nope').expect(404);
    const bad = await call('post', '/apps/x/builds', { source_blob: { url: 5, version: 7 }, extra: true }).expect(422);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ['extra', 'source_blob.url', 'source_blob.version']);
    assert.match(bad.headers['content-type'], /application\/problem\+json/);
  });

  test('add-on routes, on real PostgreSQL and Redis servers', async () => {
    await call('post', '/apps', { name: 'addon-shape' }).expect(201);
    await call('get', '/addon-services').expect(200);
    await call('get', '/addon-services/postgresql').expect(200);
    const pg = (await call('post', '/apps/addon-shape/addons', { plan: 'heroku-postgresql:mini', name: 'pg-shape' }).expect(201)).body as { id: string };
    await call('post', '/apps/addon-shape/addons', { plan: 'redis', name: 'redis-shape' }).expect(201);
    await call('post', '/apps/addon-shape/addons', { plan: 'mysql' }).expect(422);
    await call('get', '/addons').expect(200);
    await call('get', '/addon-attachments').expect(200);
    await call('post', '/actions/addons/resolve', { addon: 'DATABASE', app: 'addon-shape' }).expect(200);
    await call('post', '/actions/addon-attachments/resolve', { addon_attachment: 'pg-shape', app: 'addon-shape' }).expect(200);
    await call('get', '/addon-services/heroku-postgresql/plans').expect(200);
    await call('post', '/apps/addon-shape/addons', { plan: { name: 'heroku-redis' }, config: { version: '6' } }).expect(422);
    await call('get', '/apps/addon-shape/addons').expect(200);
    await call('get', '/apps/addon-shape/addons/pg-shape').expect(200);
    await call('get', '/addons/pg-shape').expect(200);
    const attachment = (await call('post', '/addon-attachments', { app: 'addon-shape', addon: 'pg-shape', name: 'OTHER' }).expect(201)).body as { id: string };
    await call('get', `/addon-attachments/${attachment.id}`).expect(200);
    await call('get', '/apps/addon-shape/addon-attachments').expect(200);
    await call('get', '/addons/pg-shape/addon-attachments').expect(200);
    await call('delete', `/addon-attachments/${attachment.id}`).expect(200);
    await call('get', '/addons/pg-shape/info').expect(200);
    await call('post', '/addons/pg-shape/actions/psql', { command: 'SELECT 1' }).expect(200);
    await call('post', '/addons/redis-shape/actions/redis-cli', { args: ['PING'] }).expect(200);
    // A session nobody attaches to (its container goes with the add-on below).
    await call('post', '/addons/redis-shape/client-sessions', { args: ['PING'] }).expect(201);
    await call('post', '/addons/redis-shape/actions/rotate-credentials').expect(200);
    await call('post', '/addons/pg-shape/backups').expect(201);
    await call('get', '/addons/pg-shape/backups').expect(200);
    await call('get', '/addons/pg-shape/backups/b001').expect(200);
    await call('get', '/addons/pg-shape/backups/b001/download').expect(200);
    await call('post', '/addons/pg-shape/restores', { backup: 'b001' }).expect(201);
    await call('put', '/addons/pg-shape/backup-schedule', { at: '02:00 UTC' }).expect(200);
    await call('get', '/addons/pg-shape/backup-schedule').expect(200);
    await call('delete', '/addons/pg-shape/backup-schedule').expect(200);
    await call('delete', `/apps/addon-shape/addons/${pg.id}`, { force: false }).expect(200);
    // Destroying the app destroys its Redis add-on, after a final backup: an RDB snapshot.
    await call('delete', '/apps/addon-shape').expect(200);
    const finals = ctl.db.prepare(`SELECT a.name, b.status FROM addon_backups b JOIN addons a ON a.id = b.addon_id WHERE b.kind = 'final' ORDER BY a.name`).all();
    assert.deepEqual(finals.map((f) => ({ ...f })), [{ name: 'pg-shape', status: 'succeeded' }, { name: 'redis-shape', status: 'succeeded' }]);
  });

  test('no response broke its schema, and every JSON route answered', () => {
    assert.deepEqual(violations, []);
    const json = routeSpecs.filter((s) => s.response && !s.stream).map((s) => `${s.method} ${s.path}`);
    assert.deepEqual(json.filter((k) => !answered.has(k)), [], 'routes not exercised by this test: add a call above');
  });
});
