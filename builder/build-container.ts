// One throw-away build container: created from the stack image, fed the source with
// putArchive, its output streamed line by line, killed at the time limit, always removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { PAAS_UID } from './build-archive.ts';
import { createLineSplitter } from './line-splitter.ts';

export interface BuildContainerOptions {
  docker: Dockerode;
  image: string;
  cmd: string[];
  labels: Record<string, string>;
  binds: string[];
  memoryBytes: number;
  /** CPU quota (CPUs) and weight; absent: no CPU limit. */
  cpus?: number;
  cpuShares?: number;
  /** A network name (the build network, builder/build-network.ts) or "none". */
  network: string;
  /** Uncompressed tars extracted before the container starts, each at its `path` (with the
   *  owners their headers name: build-archive.ts). */
  archives?: Array<{ file: string; path: string }>;
  workingDir: string;
  /** Default: the paas user (1000:1000). */
  user?: string;
  /** Capabilities kept (all others are dropped); default none. Only for the platform's own
   *  image recipes run as root (add-on images), never for tenant code. */
  capAdd?: string[];
  timeoutMs: number;
  /** Aborting kills the container (its reason is thrown, e.g. BuildCanceledError). */
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** Runs the container to completion, then calls `use` with it (e.g. to commit it). */
export async function withBuildContainer<T>(
  opts: BuildContainerOptions,
  use: (container: Dockerode.Container, exitCode: number) => Promise<T>,
): Promise<T> {
  // Run once: if anything starts the stopped container again before it is committed (a
  // restart-on-exit watcher, a person), the command must not run a second time and change
  // the files being committed. The marker lives in a host directory, outside the image.
  const guard = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'paas-build-once-'));
  await fs.promises.chmod(guard, 0o777);
  try {
    return await runContainer({ ...opts, binds: [...opts.binds, `${guard}:${GUARD}`], cmd: ['/bin/sh', '-c', RUN_ONCE, 'run-once', ...opts.cmd] }, use);
  } finally {
    await fs.promises.rm(guard, { recursive: true, force: true });
  }
}

export const BUILD_PIDS_LIMIT = 4096;
const GUARD = '/var/lib/paas/run-once';
const RUN_ONCE = `if [ -e ${GUARD}/started ]; then exit 0; fi; : > ${GUARD}/started && exec "$@"`;

async function runContainer<T>(
  opts: BuildContainerOptions,
  use: (container: Dockerode.Container, exitCode: number) => Promise<T>,
): Promise<T> {
  const container = await opts.docker.createContainer({
    Image: opts.image,
    Cmd: opts.cmd,
    User: opts.user ?? `${PAAS_UID}:${PAAS_UID}`,
    WorkingDir: opts.workingDir,
    Labels: opts.labels,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Binds: opts.binds,
      Memory: opts.memoryBytes,
      MemorySwap: opts.memoryBytes,
      PidsLimit: BUILD_PIDS_LIMIT,
      NanoCpus: opts.cpus ? Math.round(opts.cpus * 1e9) : undefined,
      CpuShares: opts.cpuShares,
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      CapAdd: opts.capAdd ?? [],
      NetworkMode: opts.network,
    },
  });
  try {
    const output = await attachLines(container, opts.log);
    for (const archive of opts.archives ?? []) await container.putArchive(fs.createReadStream(archive.file), { path: archive.path });
    await container.start();
    opts.signal?.throwIfAborted();
    const exitCode = await waitWithTimeout(container, opts.timeoutMs, opts.signal);
    await Promise.race([output.ended, delay(5000)]);
    return await use(container, exitCode);
  } finally {
    await container.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) opts.log(` !     could not remove build container ${container.id}: ${String(err)}`);
    });
  }
}

/** Attach before start so no output is lost; `ended` resolves when the output has ended. */
async function attachLines(container: Dockerode.Container, log: (line: string) => void): Promise<{ ended: Promise<void> }> {
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const stdout = createLineSplitter(log);
  const stderr = createLineSplitter(log);
  const sink = (splitter: typeof stdout): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        splitter.push(chunk);
        done();
      },
    });
  container.modem.demuxStream(stream, sink(stdout), sink(stderr));
  const ended = new Promise<void>((resolve) => {
    const finish = (): void => {
      stdout.flush();
      stderr.flush();
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  return { ended };
}

async function waitWithTimeout(container: Dockerode.Container, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserBuildError(`Build timed out after ${formatDuration(timeoutMs)}.`)), timeoutMs);
    onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new UserBuildError('Build canceled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
    return result.StatusCode;
  } catch (err) {
    await container.kill().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
