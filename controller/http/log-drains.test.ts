// Heroku's log-drain API on a real controller (SQLite, Redis, HTTP stack): the three URL kinds,
// redaction of credentials everywhere a URL is shown, lookups by id/token/URL, limits, and the
// address policy as tenants meet it (operator setting off, as in production).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { suitePlatform } from './api.test-support.ts';

const PROBLEM = /application\/(problem\+)?json/;

describe('log drains, private URLs allowed (the test setting)', () => {
  const p = suitePlatform({ app: 'drained', config: { maxLogDrains: 3 } });
  const api = () => p.api();

  test('add, list, get and remove drains; credentials and query values never come back', async () => {
    // Secrets with letters beyond hex: they cannot turn up by chance inside an id or token (a UUID).
    const secret = 'https://user:s3cret@127.0.0.1:9/logs?token=query-secret-zz';
    const add = await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: secret }).expect(201);
    assert.equal(add.body.url, 'https://user:****@127.0.0.1:9/logs?token=****');
    assert.match(add.body.token, /^d\.[0-9a-f-]{36}$/);
    assert.equal(add.body.addon, null);
    assert.deepEqual(Object.keys(add.body).sort(), ['addon', 'app', 'created_at', 'id', 'token', 'updated_at', 'url']);
    const tls = await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: 'syslog+tls://127.0.0.1:6514' }).expect(201);

    const list = await api().get('/apps/drained/log-drains').set('authorization', p.auth).expect(200);
    assert.deepEqual(list.body.map((d: { url: string }) => d.url), ['https://user:****@127.0.0.1:9/logs?token=****', 'syslog+tls://127.0.0.1:6514']);
    assert.ok(!JSON.stringify(list.body).includes('s3cret') && !JSON.stringify(list.body).includes('query-secret-zz'));

    for (const ref of [add.body.id, add.body.token, secret, add.body.url]) {
      const one = await api().get(`/apps/drained/log-drains/${encodeURIComponent(ref)}`).set('authorization', p.auth).expect(200);
      assert.equal(one.body.id, add.body.id, ref);
    }
    const removed = await api().delete(`/apps/drained/log-drains/${encodeURIComponent('syslog+tls://127.0.0.1:6514')}`).set('authorization', p.auth).expect(200);
    assert.equal(removed.body.id, tls.body.id);
    await api().get(`/apps/drained/log-drains/${tls.body.id}`).set('authorization', p.auth).expect(404).expect('content-type', PROBLEM);
  });

  test('the same URL twice is a conflict; more than the limit per app is refused', async () => {
    await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: 'syslog+tcp://127.0.0.1:514' }).expect(201);
    const again = await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: 'syslog+tcp://127.0.0.1:514' }).expect(409);
    assert.equal(again.body.id, 'conflict');
    await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: 'syslog+tcp://127.0.0.1:515' }).expect(201);
    const over = await api().post('/apps/drained/log-drains').set('authorization', p.auth).send({ url: 'syslog+tcp://127.0.0.1:516' }).expect(422);
    assert.match(over.body.message, /has 3 log drains, the most an app may have/);
  });
});

describe('log drains, private URLs refused (the production default)', () => {
  const p = suitePlatform({ app: 'tenant', config: { allowPrivateUrls: false } });

  test('metadata, loopback, private and localhost drains are refused with a problem document, before any connection', async () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data', 'syslog+tcp://127.0.0.1:6379', 'syslog+tls://[::ffff:127.0.0.1]:6379', 'syslog+tcp://10.0.0.5:514',
      'syslog+tcp://localhost:6379', 'https://user:s3cret@127.0.0.1/x',
    ]) {
      const res = await p.api().post('/apps/tenant/log-drains').set('authorization', p.auth).send({ url }).expect(422).expect('content-type', PROBLEM);
      assert.equal(res.body.id, 'url_not_allowed', url);
      assert.match(res.body.detail, /loopback, private or reserved address/);
      assert.ok(!JSON.stringify(res.body).includes('s3cret'));
    }
    for (const [url, why] of [['http://logs.example.com/', /not supported/], ['ftp://x/', /not supported/], ['syslog+tls://logs.example.com', /no port/],
      [`https://logs.example.com/${'x'.repeat(1030)}`, /1024/]] as const) {
      const res = await p.api().post('/apps/tenant/log-drains').set('authorization', p.auth).send({ url }).expect(422);
      assert.match(res.body.message, why, url);
    }
    assert.deepEqual((await p.api().get('/apps/tenant/log-drains').set('authorization', p.auth).expect(200)).body, []);
  });
});
