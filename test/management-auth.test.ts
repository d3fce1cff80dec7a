// Redis and the registry as `bin/setup` starts them on a fresh machine: with a generated
// password / htpasswd credentials kept under the data dir (0600), used by every client of the
// platform, refused without them, and out of reach of containers. A private Redis and
// registry on free loopback ports (the shared ones are never touched).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { ensureBusyboxImage } from '../builder/index.ts';
import { pushImage } from '../builder/push-image.ts';
import { loadConfig, type Config, type RegistryAuth } from '../common/config.ts';
import { dockerAuthConfig, registryAuthHeaders } from '../common/registry-auth.ts';
import { createRegistryClient } from '../controller/services/registry.ts';
import { ensureAppNetwork, removeAppNetwork } from '../controller/scheduler/dyno-hardening.ts';
import { freePort } from './helpers/free-port.ts';

const exec = promisify(execFile);
const setup = path.resolve(import.meta.dirname, '../bin/setup');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-auth-'));
const docker = new Dockerode();
const label = 'paastest';
const app = `auth-${process.pid}`;
let redisPort = 0;
let registryPort = 0;
let config: Config;
let image = '';

/** Pids of processes whose command line names our private data dir (the ones bin/setup started). */
function ownServices(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir) || fs.readlinkSync(`/proc/${pid}/cwd`) === path.join(dataDir, 'redis'); } catch { return false; }
  });
}

before(async () => {
  [redisPort, registryPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env, PAAS_DATA_DIR: dataDir, PAAS_REDIS_URL: `redis://127.0.0.1:${redisPort}/0`, PAAS_REGISTRY: `127.0.0.1:${registryPort}`,
    PAAS_REDIS_PASSWORD_FILE: '', PAAS_REGISTRY_AUTH_FILE: '',
  };
  await exec('bash', [setup, 'redis'], { env });
  await exec('bash', [setup, 'registry'], { env });
  config = loadConfig({ PAAS_DATA_DIR: dataDir, PAAS_REDIS_URL: env.PAAS_REDIS_URL, PAAS_REGISTRY: env.PAAS_REGISTRY });
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} });
});

after(async () => {
  if (image) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  await removeAppNetwork(docker, label, app);
  for (const pid of ownServices()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('bin/setup generates the Redis password and the registry credentials under the data dir, mode 0600', () => {
  for (const file of ['redis/password', 'redis/redis.conf', 'registry/auth', 'registry/htpasswd', 'registry/config.yml']) {
    assert.equal(fs.statSync(path.join(dataDir, file)).mode & 0o777, 0o600, file);
  }
  assert.match(fs.readFileSync(path.join(dataDir, 'redis/password'), 'utf8'), /^[0-9a-f]{64}$/);
  assert.match(fs.readFileSync(path.join(dataDir, 'registry/auth'), 'utf8'), /^paas:[0-9a-f]{64}\n$/);
  // The password is not on any command line (ps shows command lines to every user).
  for (const pid of ownServices()) assert.doesNotMatch(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /requirepass|[0-9a-f]{64}/);
});

test('Redis refuses clients without the password; the platform\'s config carries it', async () => {
  const anonymous = new Redis({ port: redisPort, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  anonymous.on('error', () => undefined);
  try {
    await assert.rejects(anonymous.get('x'), /NOAUTH/);
  } finally {
    anonymous.disconnect();
  }
  assert.notEqual(new URL(config.redisUrl).password, '');
  const platform = new Redis(config.redisUrl);
  try {
    assert.equal(await platform.set('paastest-auth', '1', 'EX', 10), 'OK');
  } finally {
    platform.disconnect();
  }
});

test('the registry refuses reads, pushes and deletes without credentials; the platform authenticates', async () => {
  const base = `http://${config.registry}/v2`;
  assert.equal((await fetch(`${base}/`)).status, 401);
  assert.ok(config.registryAuth);
  assert.equal((await fetch(`${base}/`, { headers: registryAuthHeaders(config.registryAuth) })).status, 200);

  image = `${config.registry}/${app}:v1`;
  await docker.getImage('paas/busybox:test').tag({ repo: `${config.registry}/${app}`, tag: 'v1' });
  await assert.rejects(pushImage({ docker, image, registry: config.registry, registryAuth: null, log: () => undefined }), /auth|denied|unauthorized/i);
  const digest = await pushImage({ docker, image, registry: config.registry, registryAuth: config.registryAuth, log: () => undefined });
  assert.match(digest ?? '', /^sha256:/);

  const client = createRegistryClient(config.registry, config.registryAuth);
  assert.deepEqual(await client.tags(app), ['v1']);
  assert.equal((await fetch(`${base}/${app}/tags/list`)).status, 401);
  assert.equal((await fetch(`${base}/${app}/manifests/${digest}`, { method: 'DELETE' })).status, 401);
  await assert.rejects(createRegistryClient(config.registry).tags(app), /HTTP 401/);

  await docker.getImage(image).remove();
  const pull = async (auth: RegistryAuth | null): Promise<void> => {
    const stream = await docker.pull(image, { authconfig: dockerAuthConfig(config.registry, auth) });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out?.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(failed?.error)); else resolve();
    }));
  };
  await assert.rejects(pull(null), /auth|denied|unauthorized|no basic/i);
  await pull(config.registryAuth);
  await client.deleteRepository(app);
  assert.deepEqual(await client.tags(app), []);
});

test('neither Redis nor the registry is reachable from a container on an app network', async () => {
  const network = await ensureAppNetwork(docker, label, app);
  const gateway = ((await docker.getNetwork(network).inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0].Gateway;
  const targets = [`127.0.0.1 ${redisPort}`, `127.0.0.1 ${registryPort}`, `${gateway} ${redisPort}`, `${gateway} ${registryPort}`, `172.17.0.1 ${registryPort}`];
  const script = `${targets.map((t) => `(if nc -w 2 ${t} </dev/null; then echo "REACHED ${t}"; else echo "blocked ${t}"; fi) &`).join(' ')} wait`;
  const c = await docker.createContainer({
    Image: 'paas/busybox:test', Cmd: ['sh', '-c', script], User: '1000:1000', Labels: { [label]: '1' },
    HostConfig: { NetworkMode: network, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  });
  try {
    await c.start();
    await c.wait();
    const out = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    for (const t of targets) assert.match(out, new RegExp(`blocked ${t}`), out);
    assert.doesNotMatch(out, /REACHED/);
  } finally {
    await c.remove({ force: true });
  }
});
