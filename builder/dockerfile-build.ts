// Builds an app that ships its own Dockerfile, with the daemon's (classic) builder.
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { DockerStreamError, followDockerStream } from './docker-stream.ts';
import { createLineSplitter } from './line-splitter.ts';

export interface DockerfileBuildOptions {
  docker: Dockerode;
  sourceTar: string;
  image: string;
  labels: Record<string, string>;
  memoryBytes: number;
  timeoutMs: number;
  /** Aborting stops the build (dockerd drops a build whose client went away). */
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function buildDockerfile(opts: DockerfileBuildOptions): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  const output = createLineSplitter((line) => {
    if (line.trim() !== '') opts.log(/^Step \d+\/\d+ :/.test(line) ? `-----> ${line}` : `       ${line}`);
  });
  try {
    const stream = await opts.docker.buildImage(fs.createReadStream(opts.sourceTar), {
      t: opts.image,
      labels: opts.labels,
      rm: true,
      forcerm: true,
      memory: opts.memoryBytes,
      memswap: opts.memoryBytes,
      abortSignal: opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal,
    } as Dockerode.ImageBuildOptions);
    await followDockerStream(stream, (event) => {
      if (event.stream !== undefined) output.push(event.stream);
      else if (event.status !== undefined && !event.progress) output.push(`${event.status}\n`);
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
