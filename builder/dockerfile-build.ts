// Builds an app that ships its own Dockerfile, with the daemon's (classic) builder, confined:
// the Dockerfile was checked (dockerfile-policy.ts) and the daemon builds exactly that text
// (appended to a copy of the context under a random name, so the app's own files cannot
// replace it); RUN steps run on the build network with memory, CPU and pids limits.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { RegistryAuth } from '../common/config.ts';
import { UserBuildError } from '../common/errors.ts';
import { BUILD_PIDS_LIMIT } from './build-container.ts';
import { withPidsCgroup } from './build-cgroup.ts';
import { DockerStreamError, followDockerStream } from './docker-stream.ts';
import { run } from './exec-file.ts';
import { createLineSplitter } from './line-splitter.ts';

export interface DockerfileBuildOptions {
  docker: Dockerode;
  sourceTar: string;
  /** The checked Dockerfile text the daemon must build. */
  dockerfile: string;
  /** Directory for the build's copy of the context (removed by the caller). */
  workDir: string;
  image: string;
  labels: Record<string, string>;
  memoryBytes: number;
  cpus?: number;
  cpuShares?: number;
  /** Processes all RUN steps together may have (default BUILD_PIDS_LIMIT). */
  pidsLimit?: number;
  /** Network of the RUN steps (the build network). */
  network: string;
  /** For FROM the app's own images in the registry. */
  registry: string;
  registryAuth: RegistryAuth | null;
  timeoutMs: number;
  /** Aborting stops the build (dockerd drops a build whose client went away). */
  signal?: AbortSignal;
  log: (line: string) => void;
}

const CPU_PERIOD = 100_000;

/** A copy of the context with the checked Dockerfile appended as its last member; its name. */
async function contextWithDockerfile(opts: DockerfileBuildOptions): Promise<{ tar: string; name: string }> {
  const name = `.paas-dockerfile-${randomBytes(12).toString('hex')}`;
  await fs.promises.mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  const tar = path.join(opts.workDir, 'context.tar');
  await fs.promises.copyFile(opts.sourceTar, tar);
  await fs.promises.writeFile(path.join(opts.workDir, name), opts.dockerfile, { mode: 0o644 });
  await run('tar', ['--append', '-f', tar, '-C', opts.workDir, '--owner=0', '--group=0', '--', name], { timeoutMs: 120_000 });
  return { tar, name };
}

export async function buildDockerfile(opts: DockerfileBuildOptions): Promise<void> {
  const context = await contextWithDockerfile(opts);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  const output = createLineSplitter((line) => {
    if (line.trim() !== '') opts.log(/^Step \d+\/\d+ :/.test(line) ? `-----> ${line}` : `       ${line}`);
  });
  const auth = opts.registryAuth ? { [opts.registry]: { username: opts.registryAuth.username, password: opts.registryAuth.password } } : undefined;
  try {
    await withPidsCgroup(`paas-build-${randomBytes(6).toString('hex')}`, opts.pidsLimit ?? BUILD_PIDS_LIMIT, async (cgroupparent) => {
      const stream = await opts.docker.buildImage(fs.createReadStream(context.tar), {
        t: opts.image,
        dockerfile: context.name,
        labels: opts.labels,
        rm: true,
        forcerm: true,
        memory: opts.memoryBytes,
        memswap: opts.memoryBytes,
        cpushares: opts.cpuShares,
        cpuperiod: opts.cpus ? CPU_PERIOD : undefined,
        cpuquota: opts.cpus ? Math.round(opts.cpus * CPU_PERIOD) : undefined,
        networkmode: opts.network,
        cgroupparent,
        registryconfig: auth,
        abortSignal: opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal,
      } as Dockerode.ImageBuildOptions);
      await followDockerStream(stream, (event) => {
        if (event.stream !== undefined) output.push(event.stream);
        else if (event.status !== undefined && !event.progress) output.push(`${event.status}\n`);
      });
    });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new UserBuildError('Build canceled.');
    if (abort.signal.aborted) throw new UserBuildError(`Docker build timed out after ${Math.round(opts.timeoutMs / 1000)} s.`);
    if (err instanceof DockerStreamError) throw new UserBuildError(`Docker build failed: ${err.message.trim()}`);
    throw err;
  } finally {
    clearTimeout(timer);
    output.flush();
  }
}
