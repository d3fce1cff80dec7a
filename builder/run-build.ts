// One build, start to finish: source tar in, image pushed to the registry, BuildJobResult out.
// Throws UserBuildError for faults of the app, other errors for faults of the platform.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import type { BuildJobData, BuildJobResult } from '../common/build.ts';
import { isAppName } from '../common/app-name.ts';
import type { Config } from '../common/config.ts';
import { UserBuildError } from '../common/errors.ts';
import { ProcfileError, parseProcfile } from '../common/procfile.ts';
import { pullImage } from '../common/docker-pull.ts';
import { dockerAuthConfig } from '../common/registry-auth.ts';
import { checkBuildEngine, connectBuildEngine, copyImages, pruneBuildEngine } from './build-engine.ts';
import { ensureBuildNetwork } from './build-network.ts';
import { buildWithBuildpacks } from './buildpack-build.ts';
import { buildDockerfile } from './dockerfile-build.ts';
import { checkDockerfile } from './dockerfile-policy.ts';
import { DEFAULT_KEEP_BUILD_IMAGES, pruneBuildImages } from './prune-images.ts';
import { pushImage } from './push-image.ts';
import { splitImageRef } from './import-rootfs.ts';
import { hasFile, openSourceTar, readFile } from './source-tar.ts';
import { imageExists } from './stack.ts';

export interface BuildDeps {
  config: Config;
  docker: Dockerode;
  /** Engine of Dockerfile builds (default: the config's build engine, builder/build-engine.ts;
   *  null: `docker`, where RUN steps are root on the host). */
  buildDocker?: Dockerode | null;
  /** Directory of the shipped buildpacks (default: this repository's buildpacks/). */
  buildpacksDir?: string;
  /** Build time limit (default 15 min); the container is killed and removed when it is up. */
  timeoutMs?: number;
  /** Memory limit of the build (default 2 GiB). */
  memoryBytes?: number;
  /** Docker network of builds (default: the build network, builder/build-network.ts; "none" =
   *  offline builds). */
  network?: string;
  /** Host PEM file of extra CAs builds should trust (e.g. a TLS-intercepting proxy's); exported
   *  to buildpacks as NODE_EXTRA_CA_CERTS. */
  extraCaFile?: string;
  /** Whether apps may use buildpacks from local paths and file:// URLs on the build host
   *  (default true: they are mounted read-only, but they can be any directory of this host). */
  allowLocalBuildpacks?: boolean;
  /** Build images of an app the engine keeps after a build (default 10); older tags are removed. */
  keepBuildImages?: number;
}

export const DEFAULT_BUILD_TIMEOUT_MS = 15 * 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));

/** `signal` cancels the build: its container is killed and removed, BuildCanceledError is thrown. */
export async function runBuild(deps: BuildDeps, data: BuildJobData, log: (line: string) => void, signal?: AbortSignal): Promise<BuildJobResult> {
  const { config, docker } = deps;
  if (!isAppName(data.app)) throw new Error(`invalid app name ${JSON.stringify(data.app)}`);
  const started = Date.now();
  const common = {
    docker,
    timeoutMs: deps.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    memoryBytes: deps.memoryBytes ?? 2 * 1024 ** 3,
    cpus: config.buildCpus,
    cpuShares: config.buildCpuShares,
    network: deps.network ?? await ensureBuildNetwork(docker, config.label),
    log,
  };
  log(`-----> Building ${data.app} from ${data.sourceVersion} (build ${data.buildId})`);
  const source = await openSourceTar(data.sourceTar);
  let buildpack: string;
  let processTypes: Record<string, string | null>;
  let configVars: Record<string, string> = {};
  // The engine the image is built on (the build engine for Dockerfiles), pushed from, pruned on.
  let engine = docker;

  // An app that lists buildpacks is built with them even if it has a Dockerfile.
  if (hasFile(source, 'Dockerfile') && data.buildpacks.length === 0) {
    log('-----> Dockerfile found: building with docker');
    const procfile = readProcfile(await readFile(source, 'Procfile'));
    const dockerfile = (await readFile(source, 'Dockerfile')) ?? '';
    const { images } = checkDockerfile(dockerfile, {
      images: [config.stackImage, config.stackBuildImage, ...config.dockerfileImages],
      ownRepo: splitImageRef(data.image).repo,
    });
    engine = (deps.buildDocker === undefined ? connectBuildEngine(config) : deps.buildDocker) ?? docker;
    if (engine !== docker) {
      await checkBuildEngine(engine);
      // Local base images come from the run engine; the app's own, the daemon pulls.
      await copyImages({ from: docker, to: engine, images: images.filter((i) => !i.startsWith(`${config.registry}/`)), log });
    }
    const workDir = path.join(config.dataDir, 'tmp', `build-${data.buildId}`);
    try {
      await buildDockerfile({
        ...common,
        docker: engine,
        // RUN steps reach no network at all: builds here do not download.
        network: 'none',
        sourceTar: data.sourceTar,
        dockerfile,
        workDir,
        image: data.image,
        labels: { [config.label]: '1', [`${config.label}.app`]: data.app, [`${config.label}.build`]: data.buildId },
        registry: config.registry,
        registryAuth: config.registryAuth,
        signal,
      });
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
    }
    buildpack = 'dockerfile';
    processTypes = Object.keys(procfile).length > 0 ? procfile : { web: null };
  } else {
    for (const image of [config.stackBuildImage, config.stackImage]) {
      if (!(await imageExists(docker, image))) throw new Error(`stack image ${image} is missing: run \`node builder/stack.ts\``);
    }
    let types: Record<string, string> = {};
    const result = await buildWithBuildpacks(
      {
        ...common,
        config,
        data,
        source,
        buildpacksDir: deps.buildpacksDir ?? path.resolve(here, '..', 'buildpacks'),
        scriptsDir: path.join(here, 'container'),
        extraCaFile: deps.extraCaFile,
        allowLocalBuildpacks: deps.allowLocalBuildpacks ?? config.allowLocalBuildpacks,
        signal,
      },
      (built) => {
        const declared = built.procfile === null ? null : readProcfile(built.procfile);
        types = mergeProcessTypes(log, built.defaultProcessTypes, declared);
        return types.web ?? null;
      },
    );
    buildpack = result.buildpack;
    processTypes = types;
    configVars = result.configVars;
  }

  let digest: string | null;
  try {
    signal?.throwIfAborted();
    log(`-----> Pushing ${data.image}`);
    digest = await pushImage({ docker: engine, image: data.image, registry: config.registry, registryAuth: config.registryAuth, log });
    // The run engine gets the image now, as it got it when it built it itself.
    if (engine !== docker) await pullImage(docker, data.image, dockerAuthConfig(config.registry, config.registryAuth));
  } catch (err) {
    // Canceled, or a retry builds again: do not leave the unpushed image behind (it would dangle).
    await engine.getImage(data.image).remove().catch(() => {});
    throw err;
  }
  const { repo } = splitImageRef(data.image);
  const keep = deps.keepBuildImages ?? DEFAULT_KEEP_BUILD_IMAGES;
  await pruneBuildImages({ docker, repo, keep }).catch(() => []);
  if (engine !== docker) await pruneBuildEngine({ engine, label: config.label, keep: keep * 5 }).catch(() => undefined);
  log(`-----> Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${data.image}${digest ? `@${digest}` : ''}`);
  return { image: data.image, digest, buildpack, processTypes, configVars };
}

function readProcfile(text: string | null): Record<string, string> {
  if (text === null) return {};
  try {
    return parseProcfile(text);
  } catch (err) {
    if (err instanceof ProcfileError) throw new UserBuildError(err.message);
    throw err;
  }
}

/** Procfile entries win over the buildpack's defaults, type by type. */
function mergeProcessTypes(log: (line: string) => void, defaults: Record<string, string>, declared: Record<string, string> | null): Record<string, string> {
  log('-----> Discovering process types');
  if (declared) log(`       Procfile declares types -> ${Object.keys(declared).join(', ') || '(none)'}`);
  if (Object.keys(defaults).length > 0) log(`       Default types for buildpack -> ${Object.keys(defaults).join(', ')}`);
  const types = { ...defaults, ...declared };
  if (Object.keys(types).length === 0) {
    throw new UserBuildError('No process types: add a Procfile (e.g. "web: node server.js") or a start script to package.json.');
  }
  return types;
}
