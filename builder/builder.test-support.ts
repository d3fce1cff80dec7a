// Helpers for the builder's tests: source tars from files, a test config, cleanup by label.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import type { BuildJobData, BuildJobResult } from '../common/build.ts';
import type { Config } from '../common/config.ts';
import { testConfig } from '../test/helpers/config.ts';
import { connectBuildEngine } from './build-engine.ts';
import { run } from './exec-file.ts';
import { runBuild, type BuildDeps } from './run-build.ts';

/** The builder's tests: caches (stack rootfs, Node runtimes) persist across runs in one data
 *  dir unless PAAS_DATA_DIR is set, and build images keep the platform's own label. */
export const builderTestConfig = (): Config => testConfig({
  dataDir: process.env.PAAS_DATA_DIR || path.join(os.tmpdir(), 'paas-builder-test-data'), label: 'paas',
});

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Writes `files` to a temp git repo and returns the path of `git archive --format=tar HEAD`
 *  (or of `tar -c` of the directory when via is 'tar'). */
export async function makeSourceTar(files: Record<string, string | Buffer>, via: 'git' | 'tar' = 'git'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-src-'));
  const tree = path.join(dir, 'src');
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(tree, name)), { recursive: true });
    await fs.writeFile(path.join(tree, name), text);
  }
  const tar = path.join(dir, 'source.tar');
  if (via === 'tar') {
    await run('tar', ['-C', tree, '-cf', tar, '.']);
    return tar;
  }
  const git = (...args: string[]): Promise<unknown> =>
    run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: tree });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'test');
  await git('archive', '--format=tar', '-o', tar, 'HEAD');
  return tar;
}

export async function removeSourceTar(tar: string): Promise<void> {
  await fs.rm(path.dirname(tar), { recursive: true, force: true });
}

/** Containers still carrying a build's label (there should be none after a build). */
export async function buildContainers(docker: Dockerode, buildId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`paas.build=${buildId}`] } });
}

export async function removeImage(docker: Dockerode, image: string): Promise<void> {
  await docker.getImage(image).remove({ force: true }).catch(() => {});
}

export async function hostPort(container: Dockerode.Container, port: number): Promise<number> {
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports[`${port}/tcp`]?.[0];
  if (!binding) throw new Error(`port ${port} is not published`);
  return Number(binding.HostPort);
}

/** GETs url until it answers (or the deadline passes). */
export async function getWhenUp(url: string, timeoutMs = 20_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Builds with runBuild and runs the results; `cleanup` removes every image, container and tar. */
export function buildHarness(deps: BuildDeps) {
  const { config, docker } = deps;
  const images: string[] = [];
  const tars: string[] = [];
  const apps: string[] = [];
  const containers: Dockerode.Container[] = [];

  async function build(files: Record<string, string | Buffer>, over: Partial<BuildJobData> = {}, extra: Partial<BuildDeps> = {}, signal?: AbortSignal) {
    const sourceTar = await makeSourceTar(files);
    tars.push(sourceTar);
    const buildId = uniqueName('b');
    const app = over.app ?? uniqueName('t');
    const image = `${config.registry}/${app}:build-${buildId}`;
    images.push(image);
    apps.push(app);
    const lines: string[] = [];
    const data: BuildJobData = { buildId, app, sourceTar, sourceVersion: 'test', env: {}, buildpacks: [], image, ...over };
    const result = runBuild({ ...deps, ...extra }, data, (line) => lines.push(line), signal);
    result.catch(() => {}); // awaited (or asserted to reject) by the test
    return { data, lines, result };
  }

  /** Creates a container the way the controller does (docs/builder.md). */
  async function start(image: string, result: BuildJobResult, command: string | null, env: string[] = []) {
    const dockerfile = result.buildpack === 'dockerfile';
    const container = await docker.createContainer({
      Image: image,
      ...(command === null ? {} : dockerfile ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [command] } : { Cmd: [command] }),
      Env: ['PORT=5000', ...env],
      Labels: { [config.label]: '1', [`${config.label}.test`]: '1' },
      ExposedPorts: { '5000/tcp': {} },
      HostConfig: { Init: true, PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    containers.push(container);
    await container.start();
    return container;
  }

  /** Runs the web process type and GETs / through the published port. */
  async function serve(image: string, result: BuildJobResult, env: string[] = []): Promise<string> {
    const { port } = await serveWeb(image, result, env);
    const res = await getWhenUp(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
    return res.body;
  }

  /** Starts the web process type; resolves with its published port once it answers. */
  async function serveWeb(image: string, result: BuildJobResult, env: string[] = []): Promise<{ port: number }> {
    const container = await start(image, result, result.processTypes.web ?? null, env);
    const port = await hostPort(container, 5000);
    await getWhenUp(`http://127.0.0.1:${port}/`);
    return { port };
  }

  /** Runs a one-off command to completion and returns its output. */
  async function runOnce(image: string, result: BuildJobResult, command: string): Promise<string> {
    const container = await start(image, result, command);
    await container.wait();
    return demux(await container.logs({ stdout: true, stderr: true }));
  }

  async function cleanup(): Promise<void> {
    for (const c of containers) await c.remove({ force: true }).catch(() => {});
    const engine = deps.buildDocker === undefined ? connectBuildEngine(config) : deps.buildDocker;
    for (const image of images) {
      await removeImage(docker, image);
      if (engine) await removeImage(engine, image);
    }
    for (const tar of tars) await removeSourceTar(tar);
    for (const app of apps) await fs.rm(path.join(config.dataDir, 'cache', 'build', app), { recursive: true, force: true });
  }

  return { build, serve, serveWeb, runOnce, cleanup };
}

/** Docker's multiplexed log frames (8-byte header: stream, 0, 0, 0, size) -> text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}
