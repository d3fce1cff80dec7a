// The certs commands of the CLI, as a user runs them (separate processes), against a real
// controller and a real router with HTTPS: upload from PEM files, list with expiry, SNI,
// redirect, removal, clear one-line errors, and automatic certificates from pebble (ACME
// HTTP-01 answered by the router).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { routeTableKey } from '../common/redis-keys.ts';
import { startController, type ControllerHandle } from '../controller/index.ts';
import { createMemoryScheduler } from '../controller/scheduler/memory-scheduler.ts';
import { startRouter, type RouterHandle } from '../router/index.ts';
import { presentedNames, testPki, type TestPki } from '../router/tls.test-support.ts';
import { readAdminToken, removeDataDir, testConfig } from './helpers/config.ts';
import { eventually } from './helpers/eventually.ts';
import { paas, tempDir, userEnv } from './helpers/git.ts';
import { freePort } from './helpers/free-port.ts';
import { startPebble, type Pebble } from './helpers/pebble.ts';

describe('paas certs', () => {
  let pebble: Pebble;
  let ctl: ControllerHandle;
  let router: RouterHandle;
  let pki: TestPki;
  let config: ReturnType<typeof testConfig>;
  let env: NodeJS.ProcessEnv;
  const app = `certs-cli-${process.pid}`;
  const dir = tempDir('paas-certs-');
  const a = ['-a', app];

  before(async () => {
    const httpPort = await freePort();
    pebble = await startPebble({ httpPort });
    config = testConfig({ routerPort: httpPort, domain: 'paas.test', acmeDirectory: pebble.directoryUrl, acmeCaFile: pebble.caFile });
    pki = await testPki();
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
    router = await startRouter({ config, log: () => {}, tls: { port: 0, defaultCert: await pki.issue(['*.paas.test']) } });
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: ctl.url, PAAS_API_KEY: readAdminToken(config) });
    assert.equal((await paas(['apps:create', app], env)).code, 0);
    assert.equal((await paas(['domains:add', 'shop.example.test', ...a], env)).code, 0);
  });

  after(async () => {
    await router?.close();
    await ctl?.close();
    await pebble?.stop();
    const redis = new Redis(config.redisUrl);
    await redis.del(routeTableKey(config.redisPrefix), `${config.redisPrefix}:tls:certs`);
    redis.disconnect();
    removeDataDir(config);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const httpsPort = (): number => router.edge.httpsPort()!;

  test('certs:add uploads PEM files; certs lists domains and expiry; the router presents it; certs:remove', async () => {
    const pair = await pki.issue(['shop.example.test']);
    fs.writeFileSync(path.join(dir, 'shop.crt'), pair.cert);
    fs.writeFileSync(path.join(dir, 'shop.key'), pair.key, { mode: 0o600 });
    const add = await paas(['certs:add', path.join(dir, 'shop.crt'), path.join(dir, 'shop.key'), ...a], env);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Adding SSL certificate to .*\.\.\. done/);
    assert.ok(!add.stdout.includes('PRIVATE KEY'));

    const listed = await paas(['certs', ...a], env);
    const year = new Date(Date.now() + 825 * 86_400_000).getUTCFullYear();
    assert.match(listed.stdout, new RegExp(`uploaded  expires ${year}-\\d\\d-\\d\\d  shop\\.example\\.test`));
    assert.match(listed.stdout, /serves: shop\.example\.test/);
    assert.match(listed.stdout, /HTTPS redirect: off {3}HSTS: off/);
    const [endpoint] = JSON.parse((await paas(['certs', ...a, '--json'], env)).stdout) as Array<{ id: string; ssl_cert: { expires_at: string } }>;
    const info = await paas(['certs:info', endpoint.id, ...a], env);
    assert.match(info.stdout, new RegExp(`valid from .* to ${endpoint.ssl_cert.expires_at}`));

    await eventually(async () => assert.equal(await presentedNames(httpsPort(), 'shop.example.test'), 'DNS:shop.example.test'));

    const removed = await paas(['certs:remove', endpoint.id, ...a], env);
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(async () => assert.equal(await presentedNames(httpsPort(), 'shop.example.test'), 'DNS:*.paas.test'));
    assert.match((await paas(['certs', ...a], env)).stdout, /No certificates/);
  });

  test('bad input is one clear line and a non-zero exit', async () => {
    const missing = await paas(['certs:add', path.join(dir, 'none.crt'), path.join(dir, 'none.key'), ...a], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /Cannot read the certificate file/);

    const one = await pki.issue(['shop.example.test']);
    const other = await pki.issue(['shop.example.test']);
    fs.writeFileSync(path.join(dir, 'one.crt'), one.cert);
    fs.writeFileSync(path.join(dir, 'other.key'), other.key);
    const mismatch = await paas(['certs:add', path.join(dir, 'one.crt'), path.join(dir, 'other.key'), ...a], env);
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stderr.trim().split('\n').length, 1);
    assert.match(mismatch.stderr, /private_key/);
    assert.ok(!mismatch.stderr.includes('PRIVATE KEY'), 'the key is never echoed');
  });

  test('certs:redirect:enable makes the router answer plain HTTP with 308', async () => {
    assert.equal((await paas(['certs:redirect:enable', ...a], env)).code, 0);
    await eventually(async () => {
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: router.port, path: '/', headers: { host: 'shop.example.test' } }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject);
      });
      assert.equal(status, 308);
    });
    assert.equal((await paas(['certs:redirect:disable', ...a], env)).code, 0);
  });

  test('certs:auto:enable obtains a certificate from pebble; certs:auto shows it issued', { timeout: 60_000 }, async () => {
    const on = await paas(['certs:auto:enable', ...a], env);
    assert.equal(on.code, 0, on.stderr);
    await eventually(async () => {
      const status = await paas(['certs:auto', ...a], env);
      assert.match(status.stdout, /Automatic Certificate Management is enabled/);
      assert.doesNotMatch(status.stdout, /failing/);
      assert.match(status.stdout, /shop\.example\.test {2}cert issued/);
    }, 45_000);
    await eventually(async () => assert.equal(await presentedNames(httpsPort(), 'shop.example.test'), 'DNS:shop.example.test'));
    const listed = await paas(['certs', ...a], env);
    assert.match(listed.stdout, /ACM {2}expires .*shop\.example\.test/);
    assert.match(listed.stdout, /Pebble/);
  });
});
