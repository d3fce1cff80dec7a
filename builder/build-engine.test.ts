// Dockerfile RUN steps attacked from inside, on the real build engine (bin/setup build-engine:
// a second dockerd with --userns-remap): root in a step is an unprivileged uid of the host,
// cannot make device nodes or mount, reaches no network (not the host, not another tenant's
// dyno, raw sockets included), and a fork bomb stops at the pids limit.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { ensureTenantNetwork, removeTenantNetwork } from '../common/isolated-network.ts';
import { checkBuildEngine, connectBuildEngine, copyImages } from './build-engine.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import { buildDockerfile } from './dockerfile-build.ts';
import * as t from './builder.test-support.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const engine = connectBuildEngine(config);
const h = t.buildHarness({ config, docker });
const victimNetwork = `paastest-app-${t.uniqueName('victim')}`;
let victim: Dockerode.Container | null = null;
let victimIp = '';
const registryPort = config.registry.split(':')[1];
/** `sleep <marker>`: about 2 s, and a command line no other process has. */
const marker = `2.${process.pid}${Math.floor(Math.random() * 1000)}`;

before(async () => {
  assert.ok(engine, 'PAAS_BUILD_DOCKER_SOCKET is off: these tests need the build engine (bin/setup build-engine)');
  await checkBuildEngine(engine);
  await ensureBusyboxImage({ docker, image: 'paas/busybox:test', log: () => {} });
  // Another tenant's dyno, on its app network, answering on port 5000.
  await ensureTenantNetwork({ docker, name: victimNetwork, labels: { paastest: '1' }, icc: true });
  victim = await docker.createContainer({
    Image: 'paas/busybox:test', Cmd: ['sh', '-c', 'mkdir -p /w && echo victim > /w/index.html && exec httpd -f -p 5000 -h /w'],
    Labels: { paastest: '1' }, HostConfig: { Init: true, NetworkMode: victimNetwork },
  });
  await victim.start();
  victimIp = (await victim.inspect()).NetworkSettings.Networks[victimNetwork].IPAddress;
});
after(async () => {
  await victim?.remove({ force: true }).catch(() => undefined);
  await removeTenantNetwork(docker, victimNetwork).catch(() => undefined);
  await h.cleanup();
});

/** What the build printed, without the daemon's echo of each step's command, nor the color
 *  codes the classic builder puts around a step's stderr. */
const printed = (lines: string[]): string =>
  lines.filter((l) => !l.startsWith('-----> Step')).join('\n').replace(/\x1b\[[0-9;]*m/g, '');

/** Uid (real) of the host process whose command line is exactly `argv`, polled while `during` runs. */
async function hostUidOf(argv: string, during: Promise<unknown>): Promise<string | null> {
  let done = false;
  during.finally(() => { done = true; }).catch(() => undefined);
  for (let i = 0; i < 100 && !done; i++) {
    for (const pid of await fs.readdir('/proc').catch(() => [])) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.split('\0').filter(Boolean).join(' ') !== argv) continue;
      const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      return /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? null;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

test('root in a Dockerfile RUN step is an unprivileged uid of the host and cannot make devices or mount', async () => {
  const { lines, result } = await h.build({
    Dockerfile: 'FROM paas/busybox:test\nUSER root\n' +
      `RUN id -u; cat /proc/self/uid_map; grep NoNewPrivs /proc/self/status; sleep ${marker} & ` +
      'if mknod /tmp/disk b 8 0 2>/dev/null; then echo MKNOD-OK; else echo mknod-denied; fi; ' +
      'if mount -t tmpfs x /mnt 2>/dev/null; then echo MOUNT-OK; else echo mount-denied; fi; ' +
      'if mount -t proc proc /mnt 2>/dev/null; then echo PROC-OK; else echo proc-denied; fi; wait\n',
  });
  const uid = await hostUidOf(`sleep ${marker}`, result);
  await result;
  const log = printed(lines);
  assert.match(log, /^\s+0$/m, 'root inside');
  assert.match(log, /^\s+0\s+(\d+)\s+\d+$/m, 'a uid map');
  assert.ok(uid !== null, 'the RUN step\'s process seen from the host');
  assert.ok(Number(uid) >= 100000, `host uid of root in the RUN step: ${uid}`);
  assert.equal(Number(/^\s+0\s+(\d+)\s+\d+$/m.exec(log)?.[1]), Number(uid));
  assert.match(log, /NoNewPrivs:\s+1/);
  assert.match(log, /mknod-denied/);
  assert.match(log, /mount-denied/);
  assert.match(log, /proc-denied/);
  assert.doesNotMatch(log, /-OK/);
});

test('a Dockerfile RUN step has no network: not the host, not the registry, not another tenant\'s dyno, not with a raw socket', async () => {
  // Control: the victim answers on its network (from a container of the test on it).
  const control = await docker.createContainer({ Image: 'paas/busybox:test', Cmd: ['wget', '-q', '-O', '-', `http://${victimIp}:5000/`], HostConfig: { NetworkMode: victimNetwork } });
  await control.start();
  await control.wait();
  assert.match((await control.logs({ stdout: true })).toString(), /victim/);
  await control.remove();
  const targets = [`${victimIp} 5000`, `198.18.0.1 ${registryPort}`, `172.17.0.1 ${registryPort}`];
  const probes = targets.map((x) => `(if nc -w 2 ${x} </dev/null; then echo "REACHED ${x}"; else echo "blocked ${x}"; fi)`).join('; ');
  const { lines, result } = await h.build({
    Dockerfile: `FROM paas/busybox:test\nUSER root\nRUN ${probes}; ip -o link | cut -d: -f2; ` +
      `if ping -c 1 -W 1 ${victimIp} >/dev/null 2>&1; then echo PING-REACHED; else echo ping-blocked; fi\n`,
  });
  await result;
  const log = printed(lines);
  for (const x of targets) assert.match(log, new RegExp(`blocked ${x}`), log);
  assert.match(log, /ping-blocked/);
  assert.doesNotMatch(log, /REACHED/);
  assert.doesNotMatch(log, /eth\d/, 'only a loopback interface');
});

test('a fork bomb in a RUN step on the build engine stops at the pids limit', async () => {
  assert.ok(engine);
  await copyImages({ from: docker, to: engine, images: ['paas/busybox:test'], log: () => {} });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-pids-'));
  const sourceTar = await t.makeSourceTar({ x: 'x\n' });
  const image = `paas-pids-test:${process.pid}`;
  const lines: string[] = [];
  try {
    await assert.rejects(buildDockerfile({
      docker: engine, sourceTar, workDir: dir, image, labels: { [config.label]: '1' }, memoryBytes: 256 * 1024 ** 2,
      dockerfile: 'FROM paas/busybox:test\nRUN i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; echo all-started\n',
      pidsLimit: 30, network: 'none', registry: config.registry, registryAuth: config.registryAuth, timeoutMs: 60_000, log: (l) => lines.push(l),
    }), UserBuildError);
    assert.doesNotMatch(printed(lines), /all-started/);
    assert.match(printed(lines), /can't fork|Resource temporarily unavailable/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    await t.removeSourceTar(sourceTar);
    await engine.getImage(image).remove({ force: true }).catch(() => undefined);
  }
});

test('the run engine gets the image from the registry and runs it; the build engine keeps it as cache', async () => {
  const files = { Dockerfile: 'FROM paas/busybox:test\nRUN echo built > /built\nCOPY www /www\nCMD ["sh", "-c", "exec httpd -f -p $PORT -h /www"]\n', 'www/index.html': 'engine\n' };
  const first = await h.build(files);
  const built = await first.result;
  assert.equal(await h.serve(first.data.image, built), 'engine\n');
  assert.ok(engine);
  assert.equal((await engine.getImage(first.data.image).inspect()).Id, (await docker.getImage(first.data.image).inspect()).Id);
  const again = await h.build(files, { app: first.data.app });
  await again.result;
  assert.ok(again.lines.some((l) => /Using cache/.test(l)), again.lines.join('\n'));
});
