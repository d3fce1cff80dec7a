// Attacks a tenant makes through the API, each tried for real against one controller (real
// SQLite and Redis, HTTP through supertest, in-memory scheduler) on a platform that does not
// allow private URLs, as in production.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Dockerode from 'dockerode';
import request from 'supertest';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import type { RegistryClient } from '../services/registry.ts';

const registry: RegistryClient = { retag: async () => undefined, tags: async () => [], copyRepository: async () => [], deleteRepository: async () => undefined };

describe('tenant input is hostile', () => {
  const config = testConfig({
    allowPrivateUrls: false, domain: 'apps.paas.test', apiUrl: 'http://api.paas.test:7000', registry: 'registry.paas.test:5000',
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
});
