// Builds attacked from inside, on real Docker: a Dockerfile RUN step and a buildpack's compile
// try to reach a service of the host (a listener on the build network's gateway address, where
// the containers see the host), the registry's port, and Docker's default bridge; a Dockerfile
// names another app's image; a RUN step forks without end. Limits are read from inside.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { ensureBuildNetwork } from './build-network.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import { buildDockerfile } from './dockerfile-build.ts';
import { ensureStackImages, stackImages } from './stack.ts';
import * as t from './builder.test-support.ts';

const config = { ...t.builderTestConfig(), buildCpus: 0.5 };
const docker = new Dockerode({ socketPath: config.dockerSocket });
const h = t.buildHarness({ config, docker });
const temps: string[] = [];
let gateway = '';
let host: net.Server;
let hostPort = 0;
let hostConnections = 0;
const registryPort = config.registry.split(':')[1];
const redisPort = new URL(config.redisUrl).port || '6379';

before(async () => {
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} });
  await ensureStackImages({ docker, images: stackImages(config), workDir: `${config.dataDir}/stack`, log: () => {} });
  const network = await ensureBuildNetwork(docker, config.label);
  gateway = ((await docker.getNetwork(network).inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0].Gateway;
  // A host service where build containers see the host: what Redis, the API or a metadata
  // proxy would be if they listened beyond loopback.
  host = net.createServer((s) => { hostConnections++; s.end('host secret\n'); });
  await new Promise<void>((r) => host.listen(0, gateway, r));
  hostPort = (host.address() as net.AddressInfo).port;
});
after(async () => {
  host.close();
  await h.cleanup();
  for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
});

/** What the build printed, without the daemon's echo of each step's command, nor the color
 *  codes the classic builder puts around a step's stderr. */
const printed = (lines: string[]): string =>
  lines.filter((l) => !l.startsWith('-----> Step')).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
const targets = (): string[] => [`${gateway} ${hostPort}`, `${gateway} ${registryPort}`, `172.17.0.1 ${registryPort}`, `127.0.0.1 ${registryPort}`, `${gateway} ${redisPort}`, `127.0.0.1 ${redisPort}`];

test('a Dockerfile RUN step reaches nothing on the host, and runs with the CPU limit', async () => {
  const probes = targets().map((x) => `(if nc -w 2 ${x} </dev/null; then echo "REACHED ${x}"; else echo "blocked ${x}"; fi) &`).join(' ');
  const { lines, result } = await h.build({ Dockerfile: `FROM paas/busybox:test\nRUN ${probes} wait; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us\n` });
  await result;
  const log = printed(lines);
  for (const x of targets()) assert.match(log, new RegExp(`blocked ${x}`), log);
  assert.doesNotMatch(log, /REACHED/);
  assert.match(log, /^\s+50000$/m, 'the CPU quota of 0.5 CPU');
  assert.equal(hostConnections, 0);
  // Control: the listener answers from the host itself.
  assert.equal(await new Promise<string>((resolve) => net.connect(hostPort, gateway).on('data', (d) => resolve(d.toString()))), 'host secret\n');
  hostConnections = 0;
});

test('a Dockerfile naming another app\'s image or a URL is refused before the daemon builds anything', async () => {
  const other = await h.build({ Dockerfile: `FROM ${config.registry}/someone-else:v1\n` });
  await assert.rejects(other.result, (err: unknown) => err instanceof UserBuildError && /FROM .*someone-else:v1 is not allowed/.test(err.message));
  assert.ok(!other.lines.some((l) => /Step 1/.test(l)), other.lines.join('\n'));
  const add = await h.build({ Dockerfile: `FROM paas/busybox:test\nADD http://${gateway}:${hostPort}/ /x\n` });
  await assert.rejects(add.result, /ADD of a URL/);
  assert.equal(hostConnections, 0);
});

test('a fork bomb in a Dockerfile RUN step stops at the pids limit', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-pids-'));
  temps.push(dir);
  const sourceTar = await t.makeSourceTar({ 'x': 'x\n' });
  const dockerfile = 'FROM paas/busybox:test\nRUN i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; echo all-started\n';
  const lines: string[] = [];
  const image = `paas-pids-test:${process.pid}`;
  try {
    await assert.rejects(buildDockerfile({
      docker, sourceTar, dockerfile, workDir: dir, image, labels: { [config.label]: '1' }, memoryBytes: 256 * 1024 ** 2,
      pidsLimit: 30, network: 'none', registry: config.registry, registryAuth: config.registryAuth, timeoutMs: 60_000, log: (l) => lines.push(l),
    }), UserBuildError);
    assert.doesNotMatch(printed(lines), /all-started/);
    assert.match(printed(lines), /can't fork|Resource temporarily unavailable/);
  } finally {
    await fs.rm(sourceTar, { force: true });
    await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  }
});

test('no process of a buildpack build is root or has a capability; CPU and pids limits; it reaches nothing on the host', async () => {
  const bp = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-bp-probe-'));
  temps.push(bp);
  await fs.mkdir(path.join(bp, 'bin'));
  const probes = targets().map((x) => { const [ip, port] = x.split(' '); return `(if timeout 3 bash -c 'echo > /dev/tcp/${ip}/${port}' 2>/dev/null; then echo "REACHED ${x}"; else echo "blocked ${x}"; fi) &`; }).join(' ');
  await fs.writeFile(path.join(bp, 'bin/detect'), '#!/bin/sh\necho Probe\n', { mode: 0o755 });
  await fs.writeFile(path.join(bp, 'bin/compile'), `#!/bin/bash\necho "uid=$(id -u)"; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status; for f in /proc/[0-9]*/status; do echo "process $(awk '/^(Name|Uid|CapBnd):/{printf "%s ", $2}' $f)"; done; echo "quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) pids=$(cat /sys/fs/cgroup/pids/pids.max)"; ${probes} wait\n`, { mode: 0o755 });
  const { lines, result } = await h.build({ Procfile: 'web: sleep 1\n' }, { buildpacks: [bp] });
  await result;
  const log = printed(lines);
  assert.match(log, /uid=1000/);
  assert.match(log, /CapPrm:\s+0+$/m);
  assert.match(log, /CapEff:\s+0+$/m);
  // Every process of the container (build.sh is its first) is the paas user with an empty
  // bounding set: there is no root step to take over, even before buildpack code runs.
  const processes = [...log.matchAll(/^process (\S+) (\d+) ([0-9a-f]+) $/gm)];
  assert.ok(processes.length >= 3, log);
  for (const [line, , uid, bounding] of processes) {
    assert.equal(uid, '1000', line);
    assert.match(bounding, /^0+$/, line);
  }
  assert.match(log, /quota=50000 pids=4096/);
  for (const x of targets()) assert.match(log, new RegExp(`blocked ${x}`), log);
  assert.doesNotMatch(log, /REACHED/);
  assert.equal(hostConnections, 0);
});
