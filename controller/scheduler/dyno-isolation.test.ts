// Dynos of two apps on real Docker, attacked from inside: app A's one-off dyno tries app B's
// web dyno directly (its container address), a service of the host (a listener on the app
// network's gateway address), and the registry's port. Only the router's way in (from the
// host, to the dyno's address on its app network) and the app's own dynos work. Limits are
// read back from Docker.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/index.ts';
import { pushImage } from '../../builder/push-image.ts';
import { loadConfig } from '../../common/config.ts';
import { createRegistryClient } from '../services/registry.ts';
import { createDockerScheduler } from './docker-scheduler.ts';
import { appNetworkName } from './dyno-hardening.ts';
import type { ReleaseSpec, Scheduler } from './types.ts';

const config = loadConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const label = 'paastest';
const suffix = `${process.pid}-${Date.now() % 100000}`;
const [appA, appB] = [`iso-a-${suffix}`, `iso-b-${suffix}`];
const repo = `iso-img-${suffix}`;
const image = `${config.registry}/${repo}:v1`;
let scheduler: Scheduler;

const spec = (app: string): ReleaseSpec => ({
  app, release: 1, image, kind: 'dockerfile', env: {}, memoryMb: 64,
  processes: [{ type: 'web', command: 'mkdir -p /tmp/www && echo "hello from $APP" > /tmp/www/index.html && exec httpd -f -p $PORT -h /tmp/www', quantity: 1 }],
  checks: { healthPath: '/', bootTimeoutSec: 20, graceSec: 0 },
});

/** Runs a command as a one-off dyno of `app` and returns what it printed. */
async function oneOff(app: string, command: string): Promise<string> {
  let out = '';
  const { exitCode } = await scheduler.run({ app, release: 1, image, kind: 'dockerfile', env: {}, memoryMb: 64, command }, { attach: true, signal: new AbortController().signal }, (c) => { out += c; });
  assert.equal(exitCode, 0, out);
  return out;
}

const probe = (target: string): string => `(if nc -w 2 ${target} </dev/null; then echo "REACHED ${target}"; else echo "blocked ${target}"; fi) &`;

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} });
  await docker.getImage('paas/busybox:test').tag({ repo: `${config.registry}/${repo}`, tag: 'v1' });
  await pushImage({ docker, image, registry: config.registry, registryAuth: config.registryAuth, log: () => undefined });
  scheduler = createDockerScheduler({
    docker, label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: 20,
    cpus: 0.5, cpuShares: 256, log: () => undefined,
  });
  await Promise.all([scheduler.start({ ...spec(appA), env: { APP: 'a' } }, () => undefined), scheduler.start({ ...spec(appB), env: { APP: 'b' } }, () => undefined)]);
});

after(async () => {
  await Promise.all([scheduler.destroy(appA), scheduler.destroy(appB)]);
  await scheduler.close();
  await createRegistryClient(config.registry, config.registryAuth).deleteRepository(repo).catch(() => undefined);
  await docker.getImage(image).remove({ force: true }).catch(() => undefined);
});

test('each app\'s dynos are on its own network; the router (the host) reaches web dynos there, at $PORT, with no published port', async () => {
  const [a] = await scheduler.list(appA);
  const [b] = await scheduler.list(appB);
  const infoA = await docker.getContainer(a.id).inspect();
  const infoB = await docker.getContainer(b.id).inspect();
  assert.deepEqual(Object.keys(infoA.NetworkSettings.Networks), [appNetworkName(label, appA)]);
  assert.deepEqual(Object.keys(infoB.NetworkSettings.Networks), [appNetworkName(label, appB)]);
  assert.deepEqual([a.host, a.port], [infoA.NetworkSettings.Networks[appNetworkName(label, appA)].IPAddress, 5000]);
  assert.deepEqual([b.host, b.port], [infoB.NetworkSettings.Networks[appNetworkName(label, appB)].IPAddress, 5000]);
  // Nothing published: no docker-proxy copies requests, nothing listens on the host for a dyno.
  assert.deepEqual(Object.values(infoA.NetworkSettings.Ports ?? {}).filter(Boolean), []);
  assert.equal(await (await fetch(`http://${a.host}:${a.port}/`)).text(), 'hello from a\n');
  assert.equal(await (await fetch(`http://${b.host}:${b.port}/`)).text(), 'hello from b\n');
});

test('a dyno of app A cannot connect to app B\'s container, the host, or the registry; app B\'s own one-off can reach B', async () => {
  const [b] = await scheduler.list(appB);
  const ipB = b.host as string;
  const gatewayA = ((await docker.getNetwork(appNetworkName(label, appA)).inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0].Gateway;
  // A host service listening on the address the app network's containers see the host at.
  const host = net.createServer((s) => s.end('host secret\n'));
  await new Promise<void>((r) => host.listen(0, gatewayA, r));
  const hostPort = (host.address() as net.AddressInfo).port;
  let hostConnections = 0;
  host.on('connection', () => { hostConnections++; });
  try {
    const registryPort = config.registry.split(':')[1];
    const redisPort = new URL(config.redisUrl).port || '6379';
    const targets = [`${ipB} 5000`, `${gatewayA} ${hostPort}`, `${gatewayA} ${registryPort}`, `127.0.0.1 ${registryPort}`, `${gatewayA} ${redisPort}`];
    const out = await oneOff(appA, `${targets.map(probe).join(' ')} wait`);
    for (const t of targets) assert.match(out, new RegExp(`blocked ${t}`), out);
    assert.equal(hostConnections, 0);
    // Control: the same probe works from app B's own network, so "blocked" above is isolation.
    assert.match(await oneOff(appB, `${probe(`${ipB} 5000`)} wait`), new RegExp(`REACHED ${ipB} 5000`));
  } finally {
    host.close();
  }
});

test('dynos run as uid 1000 without capabilities or privilege gain, with memory, CPU and pids limits', async () => {
  const [a] = await scheduler.list(appA);
  const info = await docker.getContainer(a.id).inspect();
  assert.equal(info.Config.User, '1000:1000');
  assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
  assert.deepEqual(info.HostConfig.SecurityOpt, ['no-new-privileges']);
  assert.equal(info.HostConfig.Privileged, false);
  assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(info.HostConfig.NanoCpus, 0.5e9);
  assert.equal(info.HostConfig.CpuShares, 256);
  assert.equal(info.HostConfig.PidsLimit, 512);
  const out = await oneOff(appA, 'id -u; grep -E "^Cap(Eff|Prm)" /proc/self/status; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  assert.match(out, /^1000\n/);
  assert.match(out, /CapPrm:\s+0+\n/);
  assert.match(out, /CapEff:\s+0+\n/);
  assert.match(out, /\n50000\n/);
});
