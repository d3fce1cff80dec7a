// App webhooks end to end on loopback receivers (the operator setting that allows private URLs is
// on, as in every test config): one checks the Heroku-Webhook-Hmac-SHA256 signature of each
// delivery, one always fails and sees the retries; URL policy refusals; the deliveries API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Dockerode from 'dockerode';
import request from 'supertest';
import { eventually } from '../../test/helpers/eventually.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertConfig } from '../store/configs.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { nullRegistry as registry } from './api.test-support.ts';


interface Received { headers: http.IncomingHttpHeaders; body: string; at: number }

async function receiver(status: (r: Received) => number): Promise<{ url: string; got: Received[]; close(): void }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const r = { headers: req.headers, body, at: Date.now() };
      got.push(r);
      res.statusCode = status(r);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => server.close() };
}

describe('app webhooks', () => {
  const config = testConfig({ webhookRetryBaseMs: 150 });
  const log: string[] = [];
  let ctl: ControllerHandle;
  let auth: string;
  const api = () => request(ctl.server);
  const secret = 'a-shared-secret-for-tests';
  const signed = (r: Received) => createHmac('sha256', secret).update(r.body).digest('base64') === r.headers['heroku-webhook-hmac-sha256'];
  let good: Awaited<ReturnType<typeof receiver>>;
  let bad: Awaited<ReturnType<typeof receiver>>;

  before(async () => {
    good = await receiver((r) => (signed(r) ? 200 : 401));
    bad = await receiver(() => 503);
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), registry, log: (l) => log.push(l), webhookScanMs: 100 });
    auth = `Bearer ${readAdminToken(config)}`;
    await api().post('/apps').set('authorization', auth).send({ name: 'hooked' }).expect(201);
    const app = findApp(ctl.db, 'hooked')!;
    const build = insertBuild(ctl.db, app.id, null, 'abc1234');
    finishBuild(ctl.db, build.id, { status: 'succeeded', image: `${config.registry}/hooked:build-${build.id}`, processTypes: { web: 'node s.js' } });
    setReleaseStatus(ctl.db, insertRelease(ctl.db, { appId: app.id, buildId: build.id, configId: insertConfig(ctl.db, app.id, {}).id, description: 'Deploy abc1234', userId: null }).id, 'succeeded');
  });
  after(async () => {
    await ctl.close();
    good.close();
    bad.close();
    removeDataDir(config);
    if (process.env.PAAS_TEST_KEEP_LOGS) console.log(log.filter((l) => l.startsWith('webhook')).join('\n'));
  });

  test('webhook URLs must be http(s) and, unless allowed, not loopback or private', async () => {
    const post = (url: string) => api().post('/apps/hooked/webhooks').set('authorization', auth).send({ include: ['api:release'], url });
    assert.equal((await post('ftp://example.com/x').expect(422)).body.id, 'url_not_allowed');
    config.allowPrivateUrls = false;
    try {
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://169.254.169.254/latest']) {
        const res = await post(url).expect(422);
        assert.match(res.body.message, /loopback, private or reserved/, url);
      }
    } finally {
      config.allowPrivateUrls = true;
    }
    const res = await api().post('/apps/hooked/webhooks').set('authorization', auth).send({ include: ['api:nothing'], url: 5 }).expect(422);
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field).sort(), ['include.0', 'url']);
  });

  test('deliveries are signed with the secret; a failing receiver gets 4 attempts with growing delays', async () => {
    const a = await api().post('/apps/hooked/webhooks').set('authorization', auth)
      .send({ include: ['api:release', 'api:build', 'api:formation', 'dyno'], url: good.url, secret, level: 'sync' }).expect(201);
    assert.equal(a.headers['heroku-webhook-secret'], secret);
    const b = await api().post('/apps/hooked/webhooks').set('authorization', auth).send({ include: ['api:release'], url: bad.url }).expect(201);
    assert.match(b.headers['heroku-webhook-secret'], /^[0-9a-f]{48}$/);
    assert.equal(b.body.level, 'sync');

    // A config change makes a release; scaling changes the formation and the dynos.
    await api().patch('/apps/hooked/config-vars').set('authorization', auth).send({ GREETING: 'hi' }).expect(200);
    await api().patch('/apps/hooked/formation/web').set('authorization', auth).send({ quantity: 2 }).expect(200);

    const events = () => good.got.map((r) => JSON.parse(r.body) as { resource: string; action: string; data: { status?: string; quantity?: number; version?: number }; webhook_metadata: { event: { include: string } } });
    await eventually(async () => {
      const e = events();
      assert.ok(e.some((x) => x.resource === 'release' && x.data.status === 'succeeded' && x.data.version === 2), 'release v2 succeeded');
      assert.ok(e.some((x) => x.resource === 'release' && x.action === 'create' && x.data.version === 2), 'release v2 created');
      assert.ok(e.some((x) => x.resource === 'formation' && x.data.quantity === 2), 'formation web=2');
      assert.ok(e.some((x) => x.resource === 'dyno' && x.action === 'create'), 'a new dyno');
    }, 10_000);
    assert.ok(good.got.every(signed), 'every delivery carries a valid signature');
    for (const r of good.got) assert.equal(r.headers['content-type'], 'application/json');
    const release = events().find((x) => x.resource === 'release')!;
    assert.equal(release.webhook_metadata.event.include, 'api:release');

    await eventually(async () => {
      const list = await api().get('/apps/hooked/webhook-deliveries').set('authorization', auth).expect(200);
      const failing = list.body.filter((d: { webhook: { id: string } }) => d.webhook.id === b.body.id);
      assert.ok(failing.length >= 1);
      for (const d of failing) {
        assert.equal(d.status, 'failed');
        assert.equal(d.num_attempts, 4);
        assert.equal(d.last_attempt.code, 503);
        assert.equal(d.next_attempt_at, null);
      }
    }, 15_000);
    // Each failed event reached the failing receiver exactly 4 times, each wait longer than the last.
    const byEvent = new Map<string, number[]>();
    for (const r of bad.got) byEvent.set(String(r.headers['heroku-webhook-event-id']), [...(byEvent.get(String(r.headers['heroku-webhook-event-id'])) ?? []), r.at]);
    for (const times of byEvent.values()) {
      assert.equal(times.length, 4);
      assert.ok(times[3] - times[2] >= 4 * 150 && times[2] - times[1] >= 2 * 150 && times[1] - times[0] >= 150, `back-off: ${times.map((t) => t - times[0]).join(', ')} ms`);
    }
    const ok = await api().get('/apps/hooked/webhook-deliveries').set('authorization', auth).expect(200);
    const one = ok.body.find((d: { webhook: { id: string } }) => d.webhook.id === a.body.id);
    assert.equal(one.status, 'succeeded');
    await api().get(`/apps/hooked/webhook-deliveries/${one.id}`).set('authorization', auth).expect(200);
  });

  test('webhooks are listed, changed and removed; an app has at most 10', async () => {
    const list = await api().get('/apps/hooked/webhooks').set('authorization', auth).expect(200);
    assert.equal(list.body.length, 2);
    const id = list.body[1].id;
    const patched = await api().patch(`/apps/hooked/webhooks/${id}`).set('authorization', auth).send({ include: ['api:build'], level: 'notify' }).expect(200);
    assert.deepEqual(patched.body.include, ['api:build']);
    assert.equal((await api().get(`/apps/hooked/webhooks/${id}`).set('authorization', auth).expect(200)).body.level, 'notify');
    await api().delete(`/apps/hooked/webhooks/${id}`).set('authorization', auth).expect(200);
    await api().get(`/apps/hooked/webhooks/${id}`).set('authorization', auth).expect(404);
    for (let i = 1; i < 10; i++) await api().post('/apps/hooked/webhooks').set('authorization', auth).send({ include: ['dyno'], url: `${good.url}/${i}` }).expect(201);
    const full = await api().post('/apps/hooked/webhooks').set('authorization', auth).send({ include: ['dyno'], url: good.url }).expect(422);
    assert.match(full.body.message, /10 webhooks/);
  });
});
