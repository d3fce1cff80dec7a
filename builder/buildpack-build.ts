// Builds an app with Heroku-style buildpacks, entirely inside one container of the build stack
// image (container/build.sh), then assembles the app image from its /app on the run stack
// (app-image.ts).
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { BuildJobData } from '../common/build.ts';
import { buildCacheDir } from '../common/build-cache.ts';
import { MAX_BUILDPACKS, SHIPPED_BUILDPACKS, parseBuildpacksFile } from '../common/buildpack-ref.ts';
import type { Config } from '../common/config.ts';
import { UserBuildError } from '../common/errors.ts';
import { urlPolicyOf } from '../common/url-policy.ts';
import { assembleAppImage, packArgs } from './app-image.ts';
import { PAAS_UID, writeDirsArchive, writeOwnedCopy } from './build-archive.ts';
import { withBuildContainer } from './build-container.ts';
import { resolveBuildpacks, type ResolvedBuildpack } from './buildpack-source.ts';
import { IN } from './container-paths.ts';
import { prepareNodeRuntime } from './node-runtime.ts';
import { parseRelease } from './release-yaml.ts';
import { NODE_RUNTIME_DIR, ensureNodeRuntimeImages } from './runtime-image.ts';
import { readFile, type SourceTar } from './source-tar.ts';
import { STACK_SUITE, stackImages } from './stack.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface BuildpackBuildOptions {
  docker: Dockerode;
  config: Config;
  data: BuildJobData;
  source: SourceTar;
  buildpacksDir: string;
  scriptsDir: string;
  timeoutMs: number;
  memoryBytes: number;
  cpus?: number;
  cpuShares?: number;
  network: string;
  extraCaFile?: string;
  /** Whether buildpacks may be local paths or file:// URLs. */
  allowLocalBuildpacks: boolean;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface BuildpackBuildResult {
  /** The buildpacks that ran, comma-separated as the app lists them. */
  buildpack: string;
  /** bin/release default_process_types of the last buildpack. */
  defaultProcessTypes: Record<string, string>;
  configVars: Record<string, string>;
  /** The Procfile as it is after compile, if any. */
  procfile: string | null;
}

/** The buildpacks to run: the app's list, else the source's .buildpacks, else detection. */
async function chooseBuildpacks(opts: BuildpackBuildOptions): Promise<{ refs: string[]; mode: 'use' | 'detect' }> {
  if (opts.data.buildpacks.length > 0) return { refs: opts.data.buildpacks, mode: 'use' };
  const file = await readFile(opts.source, '.buildpacks', 64 * 1024);
  const listed = file === null ? [] : parseBuildpacksFile(file);
  if (listed.length > 0) {
    opts.log(`-----> Using the buildpacks listed in .buildpacks: ${listed.join(', ')}`);
    return { refs: listed, mode: 'use' };
  }
  return { refs: [...SHIPPED_BUILDPACKS], mode: 'detect' };
}

/** Builds; `webCommand` turns the result into the image's default CMD (or throws) before the commit. */
export async function buildWithBuildpacks(
  opts: BuildpackBuildOptions,
  webCommand: (result: BuildpackBuildResult) => string | null,
): Promise<BuildpackBuildResult> {
  const { config, data } = opts;
  const { refs, mode } = await chooseBuildpacks(opts);
  if (refs.length > MAX_BUILDPACKS) throw new UserBuildError(`Too many buildpacks (${refs.length}); at most ${MAX_BUILDPACKS}.`);
  const packs = await resolveBuildpacks({
    refs,
    buildpacksDir: opts.buildpacksDir,
    cacheDir: path.join(config.dataDir, 'cache', 'buildpacks'),
    allowLocal: opts.allowLocalBuildpacks,
    urlPolicy: urlPolicyOf(config),
    log: opts.log,
  });
  opts.signal?.throwIfAborted();

  const runtimesDir = path.join(config.dataDir, 'cache', 'runtimes');
  const cacheDir = buildCacheDir(config.dataDir, data.app);
  await fs.mkdir(runtimesDir, { recursive: true });
  await fs.mkdir(cacheDir, { recursive: true });
  const env = [`STACK=paas-${STACK_SUITE}`, `SOURCE_VERSION=${data.sourceVersion}`, `PAAS_RUNTIMES_DIR=${IN.runtimes}`];
  // The nodejs buildpack is the one that will run iff package.json is there: same test as its bin/detect.
  const packageJson = packs.some((p) => p.shipped === 'nodejs') ? await readFile(opts.source, 'package.json') : null;
  // Build on the build stack, assemble the image on the run stack; with the Node.js runtime
  // already in both when the nodejs buildpack may run.
  let bases = stackImages(config);
  let baseProvides: string[] = [];
  if (packageJson !== null) {
    const runtime = await prepareNodeRuntime({ packageJson, runtimesDir, log: opts.log });
    env.push(`PAAS_NODE_VERSION=${runtime.node}`, `PAAS_NPM_VERSION=${runtime.npm}`);
    const base = { docker: opts.docker, stacks: bases, runtime, runtimesDir, label: config.label, log: opts.log };
    bases = await ensureNodeRuntimeImages({ ...base, buildpacksDir: opts.buildpacksDir });
    baseProvides = [NODE_RUNTIME_DIR];
  }
  opts.signal?.throwIfAborted();

  const binds = [`${runtimesDir}:${IN.runtimes}:ro`, `${cacheDir}:${IN.cache}`];
  if (opts.extraCaFile) {
    binds.push(`${path.resolve(opts.extraCaFile)}:${IN.extraCa}:ro`);
    env.push(`NODE_EXTRA_CA_CERTS=${IN.extraCa}`);
  }

  const workDir = path.join(config.dataDir, 'tmp', `build-${data.buildId}`);
  await fs.rm(workDir, { recursive: true, force: true });
  await fs.mkdir(path.join(workDir, 'env'), { recursive: true, mode: 0o700 });
  await fs.chmod(workDir, 0o700);
  await fs.chmod(path.join(workDir, 'env'), 0o755);
  await fs.mkdir(path.join(workDir, 'out'));
  await fs.mkdir(path.join(workDir, 'slug'), { mode: 0o700 });
  // The build runs as the paas user from start to end: the directories it writes are its own.
  for (const dir of [path.join(workDir, 'out'), path.join(workDir, 'slug'), cacheDir]) await fs.lchown(dir, PAAS_UID, PAAS_UID);
  const labels = { [config.label]: '1', [`${config.label}.app`]: data.app, [`${config.label}.build`]: data.buildId };
  try {
    for (const [key, value] of Object.entries(data.env)) {
      if (!ENV_NAME.test(key)) throw new UserBuildError(`Config var name ${JSON.stringify(key)} is not valid.`);
      await fs.writeFile(path.join(workDir, 'env', key), value, { mode: 0o644 });
    }
    const started = Date.now();
    const sourceTar = path.join(workDir, 'source.tar');
    const buildpacksTar = path.join(workDir, 'buildpacks.tar');
    await writeOwnedCopy(data.sourceTar, sourceTar);
    await writeDirsArchive(packs.map((p) => p.dir), path.basename(IN.buildpackCopies), buildpacksTar);
    const cmd = ['/bin/bash', `${IN.scripts}/build.sh`, ...packArgs(baseProvides), ...env.flatMap((e) => ['--env', e]), `--${mode}`, ...packs.map((p, i) => `${i}=${p.ref}`)];
    return await withBuildContainer(
      {
        docker: opts.docker,
        image: bases.build,
        cmd,
        labels,
        binds: [
          `${opts.scriptsDir}:${IN.scripts}:ro`,
          `${path.join(workDir, 'env')}:${IN.env}:ro`,
          `${path.join(workDir, 'out')}:${IN.out}`,
          `${path.join(workDir, 'slug')}:${IN.slug}`,
          ...binds,
        ],
        memoryBytes: opts.memoryBytes,
        cpus: opts.cpus,
        cpuShares: opts.cpuShares,
        network: opts.network,
        archives: [{ file: sourceTar, path: IN.app }, { file: buildpacksTar, path: path.dirname(IN.buildpackCopies) }],
        workingDir: IN.app,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        log: opts.log,
      },
      async (_container, exitCode) => {
        const out = (name: string): Promise<string | null> => readOutFile(path.join(workDir, 'out', name));
        if (exitCode !== 0) {
          const failure = (await out('failure'))?.trim();
          const why = exitCode === 137 ? ' (killed: out of memory?)' : '';
          throw new UserBuildError(failure || `Build failed: the build container exited with status ${exitCode}${why}.`);
        }
        const release = parseRelease((await out('release.yml')) ?? '');
        const result: BuildpackBuildResult = {
          buildpack: usedBuildpacks(packs, (await out('buildpack')) ?? ''),
          defaultProcessTypes: release.processTypes,
          configVars: release.configVars,
          procfile: await out('Procfile'),
        };
        const web = webCommand(result);
        opts.signal?.throwIfAborted();
        opts.log('-----> Assembling the image');
        await assembleAppImage({
          docker: opts.docker,
          slugDir: path.join(workDir, 'slug'),
          base: bases.run,
          image: data.image,
          labels,
          cmd: web ?? 'bash',
          timeoutMs: Math.max(opts.timeoutMs - (Date.now() - started), 30_000),
          signal: opts.signal,
          log: opts.log,
        });
        return result;
      },
    );
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/** build-app.sh writes the indexes of the buildpacks that ran: "0,2" -> "nodejs,static". */
function usedBuildpacks(packs: ResolvedBuildpack[], written: string): string {
  const used = written.trim().split(',').map((i) => packs[Number(i)]?.ref).filter((r): r is string => r !== undefined);
  return (used.length > 0 ? used : packs.map((p) => p.ref)).join(',');
}

/** A result file the build wrote. Build code controls that directory: never follow a symlink
 *  out of it (to a host file), read only regular files, and only so much. */
async function readOutFile(file: string): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
