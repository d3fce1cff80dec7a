// Assembles a buildpack-built app image on the run stack from the /app of the finished build
// (Heroku's slug). At the end of the build, container/build.sh packs /app as a build context
// (layer-N/ per dependency directory, app/ for the rest, minus what the base image already
// has, such as the Node.js runtime) into a host directory, read once the build has exited. Here a
// Dockerfile is appended to it and the daemon's classic builder runs
//   FROM <run stack, or the Node.js runtime on it>
//   ENTRYPOINT ["/app/.paas/entry"]
//   COPY --chown=1000:1000 layer-0 /app/.heroku        (python virtualenv, static server)
//   COPY --chown=1000:1000 layer-1 /app/node_modules
//   CMD ["<web command>"]
//   COPY --chown=1000:1000 app /app                    (the rest)
//   LABEL paas=1 paas.app=<app> paas.build=<build id>
// The classic builder's cache matches a COPY by a checksum of its files' contents, names,
// modes and owners (not their mtimes), so an unchanged dependency directory reuses the
// previous build's layer, and the registry push skips it ("Layer already exists").
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { UserBuildError, errorMessage } from '../common/errors.ts';
import { ENTRYPOINT } from './container-paths.ts';
import { followDockerStream } from './docker-stream.ts';
import { createLineSplitter } from './line-splitter.ts';

/** Directories under /app that get layers of their own below the app's, in this order. */
export const DEPENDENCY_DIRS = ['.heroku', 'node_modules'] as const;
const OWNER = '1000:1000';

/** build.sh's options for packing /app: its layers, and what the base image already holds. */
export function packArgs(baseProvides: string[]): string[] {
  return [...DEPENDENCY_DIRS.flatMap((dir) => ['--layer', dir]), ...baseProvides.flatMap((p) => ['--exclude', p])];
}

export interface AppImageOptions {
  docker: Dockerode;
  /** Host directory build.sh packed /app into (context.tar, layers). The build wrote it as the
   *  paas user and has exited (no process of it is left) before this reads it. */
  slugDir: string;
  /** Image to build on: the run stack, or a runtime image on it. */
  base: string;
  image: string;
  labels: Record<string, string>;
  /** The image's CMD: the web command, or bash. */
  cmd: string;
  /** What is left of the build's time limit. */
  timeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function assembleAppImage(opts: AppImageOptions): Promise<void> {
  const started = performance.now();
  const context = path.join(opts.slugDir, 'context.tar');
  // The build wrote these: the host appends to one and reads the other only if they are plain
  // files of their own (a symlink or hard link there would make `tar -rf` append to another file).
  for (const file of [context, path.join(opts.slugDir, 'layers')]) {
    const st = await fs.promises.lstat(file);
    if (!st.isFile() || st.nlink !== 1) throw new Error(`${path.basename(file)} in the slug directory is not a regular file`);
  }
  const layers = (await fs.promises.readFile(path.join(opts.slugDir, 'layers'), 'utf8')).split('\n').filter((dir) => dir !== '');
  // Only dependency directories, each once, in their order: the list is the build's word.
  const order = layers.map((dir) => (DEPENDENCY_DIRS as readonly string[]).indexOf(dir));
  if (order.some((i, n) => i < 0 || (n > 0 && i <= order[n - 1]))) throw new Error(`the slug's layer list is not valid: ${JSON.stringify(layers)}`);
  const dockerfile = [
    `FROM ${opts.base}`,
    `ENTRYPOINT ${JSON.stringify([ENTRYPOINT])}`,
    ...layers.map((dir, i) => `COPY --chown=${OWNER} layer-${i} ${JSON.stringify(`/app/${dir}`)}`),
    `CMD ${JSON.stringify([opts.cmd])}`,
    `COPY --chown=${OWNER} app /app`,
    // One step for all labels (the build option `labels` would make one step, and one container, each).
    `LABEL ${Object.entries(opts.labels).map(([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`).join(' ')}`,
  ];
  const dir = await fs.promises.mkdtemp(path.join(opts.slugDir, 'dockerfile-'));
  try {
    await fs.promises.writeFile(path.join(dir, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
    await promisify(execFile)('tar', ['-rf', context, '-C', dir, 'Dockerfile']);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  const cached = await build(opts, context);
  const described = [...layers, 'app'].map((name, i) => `${name} (${cached.has(i) ? 'unchanged' : 'new'})`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  opts.log(`       Layers on ${opts.base}: ${described.join(', ')} (${seconds} s)`);
}

/** Runs the build; returns the indexes (among the COPY steps) of those that reused a cached layer. */
async function build(opts: AppImageOptions, context: string): Promise<Set<number>> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  // Images this build made (not reused from the cache): removed again if it fails.
  const made: string[] = [];
  const cached = new Set<number>();
  let copies = 0;
  let copying = false;
  let usingCache = false;
  let last = '';
  const lines = createLineSplitter((line) => {
    last = line;
    const step = /^Step \d+\/\d+ : (\S+)/.exec(line)?.[1];
    if (step) {
      copying = step === 'COPY';
      if (copying) copies++;
    } else if (line === ' ---> Using cache') {
      usingCache = true;
      if (copying) cached.add(copies - 1);
    } else {
      const id = /^ ---> ([0-9a-f]{12})$/.exec(line)?.[1];
      if (id && !usingCache) made.push(id);
      if (id) usingCache = false;
    }
  });
  const input = fs.createReadStream(context);
  try {
    const stream = await opts.docker.buildImage(input, { t: opts.image, rm: true, forcerm: true, abortSignal: signal } as Dockerode.ImageBuildOptions);
    let built = false;
    await followDockerStream(stream, (event) => {
      if (event.stream !== undefined) lines.push(event.stream);
      if (typeof event.aux?.ID === 'string') built = true;
    });
    lines.flush();
    if (!built) throw new Error(`the build ended without an image (${last.trim()})`);
    return cached;
  } catch (err) {
    for (const id of made.reverse()) await opts.docker.getImage(id).remove().catch(() => {});
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
    if (timeout.aborted) throw new UserBuildError(`Build timed out while assembling the image (${Math.round(opts.timeoutMs / 1000)} s left of the time limit).`);
    throw new Error(`assembling the image failed: ${errorMessage(err)}`, { cause: err });
  } finally {
    input.destroy();
  }
}
