// Certificates end to end: the API (upload, list with expiry, remove; HTTPS settings; ACM)
// with the real store and Redis, a real router presenting the certificates over SNI, and real
// ACME HTTP-01 issuance by pebble on loopback, validated through the router's HTTP port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import tls from 'node:tls';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { RouteTable } from '../../common/routes.ts';
import { routeTableKey } from '../../common/redis-keys.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';
import { startRouter, type RouterHandle } from '../../router/index.ts';
import { presentedNames, testPki, type TestPki } from '../../router/tls.test-support.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { startPebble, type Pebble } from '../../test/helpers/pebble.ts';

describe('certificates', () => {
  let pebble: Pebble;
  let ctl: ControllerHandle;
  let router: RouterHandle;
  let redis: Redis;
  let pki: TestPki;
  let token: string;
  let config: ReturnType<typeof testConfig>;
  const app = `certs-${Date.now().toString(36)}`;

  before(async () => {
    const httpPort = await freePort();
    pebble = await startPebble({ httpPort });
    config = testConfig({ routerPort: httpPort, domain: 'paas.test', acmeDirectory: pebble.directoryUrl, acmeCaFile: pebble.caFile });
    pki = await testPki();
    redis = new Redis(config.redisUrl);
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
    router = await startRouter({ config, log: () => {}, tls: { port: 0, defaultCert: await pki.issue(['*.paas.test']) } });
    token = readAdminToken(config);
    // An app with two custom domains (setup, not a test of its own).
    await as(api().post('/apps')).send({ name: app }).expect(201);
    await as(api().post(`/apps/${app}/domains`)).send({ hostname: 'shop.example.test' }).expect(201);
    await as(api().post(`/apps/${app}/domains`)).send({ hostname: 'www.example.test' }).expect(201);
  });

  after(async () => {
    await router?.close();
    await ctl?.close();
    await pebble?.stop();
    await redis?.del(routeTableKey(config.redisPrefix), `${config.redisPrefix}:tls:certs`);
    redis?.disconnect();
    removeDataDir(config);
  });

  const api = () => request(ctl.server);
  const as = <T extends request.Test>(t: T): T => t.set('authorization', `Bearer ${token}`) as T;
  const eventually = async (check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  test('upload a certificate: listed with domains and expiry, presented by the router, removable', async () => {
    const pair = await pki.issue(['shop.example.test', 'other.example.test']);
    const res = await as(api().post(`/apps/${app}/sni-endpoints`)).send({ certificate_chain: pair.cert, private_key: pair.key }).expect(201);
    assert.deepEqual(res.body.ssl_cert.cert_domains, ['shop.example.test', 'other.example.test']);
    assert.deepEqual(res.body.domains, ['shop.example.test'], 'served only for the app\'s own domains');
    assert.ok(Date.parse(res.body.ssl_cert.expires_at) > Date.now() + 86_400_000 * 300);
    assert.ok(!JSON.stringify(res.body).includes('PRIVATE KEY'));
    const list = await as(api().get(`/apps/${app}/sni-endpoints`)).expect(200);
    assert.equal(list.body.length, 1);
    assert.ok(!JSON.stringify(list.body).includes('PRIVATE KEY'));

    await eventually(async () => (await presentedNames(router.edge.httpsPort()!, 'shop.example.test')).includes('shop.example.test'), 'SNI');
    assert.match(await presentedNames(router.edge.httpsPort()!, 'other.example.test'), /\*\.paas\.test/, 'not another app\'s name');

    await as(api().delete(`/apps/${app}/sni-endpoints/${res.body.id}`)).expect(200);
    await as(api().get(`/apps/${app}/sni-endpoints`)).expect(200, []);
    await eventually(async () => (await presentedNames(router.edge.httpsPort()!, 'shop.example.test')).includes('*.paas.test'), 'removal');
  });

  test('bad uploads are refused with 422 and never echo the key', async () => {
    const a = await pki.issue(['shop.example.test']);
    const b = await pki.issue(['shop.example.test']);
    const mismatch = await as(api().post(`/apps/${app}/sni-endpoints`)).send({ certificate_chain: a.cert, private_key: b.key }).expect(422);
    assert.match(mismatch.body.message, /private_key/);
    assert.ok(!JSON.stringify(mismatch.body).includes('PRIVATE KEY'));
    await as(api().post(`/apps/${app}/sni-endpoints`)).send({ certificate_chain: 'nope', private_key: a.key }).expect(422);
    await as(api().post(`/apps/${app}/sni-endpoints`)).send({}).expect(422);
  });

  test('HTTPS settings reach the route table; the router then redirects plain HTTP', async () => {
    const res = await as(api().patch(`/apps/${app}/https`)).send({ redirect_https: true, hsts: true }).expect(200);
    assert.deepEqual({ r: res.body.redirect_https, h: res.body.hsts }, { r: true, h: true });
    const table = JSON.parse((await redis.get(routeTableKey(config.redisPrefix)))!) as RouteTable;
    const route = table.apps.find((a) => a.app === app)!;
    assert.equal(route.redirectHttps, true);
    assert.equal(route.hsts, true);
    await eventually(async () => {
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: router.port, path: '/x', headers: { host: 'www.example.test' } }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject);
      });
      return status === 308;
    }, 'the redirect');
    await as(api().patch(`/apps/${app}/https`)).send({ redirect_https: 'yes' }).expect(422);
    await as(api().patch(`/apps/${app}/https`)).send({ redirect_https: false, hsts: false }).expect(200);
  });

  test('ACM: certificates issued by pebble over HTTP-01 through the router, then served', { timeout: 60_000 }, async () => {
    const on = await as(api().post(`/apps/${app}/acm`)).expect(200);
    assert.equal(on.body.acm, true);
    await eventually(async () => {
      const res = await as(api().get(`/apps/${app}/acm`)).expect(200);
      const statuses = (res.body.domains as Array<{ hostname: string; status: string; error: string | null }>);
      const failing = statuses.find((d) => d.status === 'failing');
      if (failing) throw new Error(`${failing.hostname}: ${failing.error}`);
      return statuses.every((d) => d.status === 'cert issued');
    }, 'issuance', 45_000);
    const list = await as(api().get(`/apps/${app}/sni-endpoints`)).expect(200);
    assert.equal(list.body.length, 2);
    assert.ok(list.body.every((e: { ssl_cert: { acm: boolean; issuer: string } }) => e.ssl_cert.acm && /Pebble/.test(e.ssl_cert.issuer)));

    const root = await pebble.issuingRoot();
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: router.edge.httpsPort()!, servername: 'www.example.test', ca: root }, () => {
        resolve(s.authorized);
        s.end();
      });
      s.on('error', reject);
    });
    assert.equal(authorized, true, 'the chain verifies against pebble\'s root for www.example.test');
  });
});
