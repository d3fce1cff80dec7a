// Node.js runtime layers shared by apps: a stack image plus /app/.heroku/node for one (node,
// npm) pair, made by the nodejs buildpack's own lib/install-runtime.sh. Two per version: on the
// build stack (builds start from it) and on the run stack (app images are assembled on it), so
// each app image only adds its own layers and the runtime layer is pushed once per registry.
import type Dockerode from 'dockerode';
import { withBuildContainer } from './build-container.ts';
import { IN } from './container-paths.ts';
import { splitImageRef } from './import-rootfs.ts';
import type { NodeRuntime } from './node-runtime.ts';
import { NODE_RUNTIME_REPO, imageExists, shortImageId, type StackImages } from './stack.ts';

export interface RuntimeImageOptions {
  docker: Dockerode;
  stacks: StackImages;
  runtime: NodeRuntime;
  buildpacksDir: string;
  runtimesDir: string;
  /** config.label */
  label: string;
  log: (line: string) => void;
}

/** Where the runtime lives in its images (the nodejs buildpack's node_dir). */
export const NODE_RUNTIME_DIR = '.heroku/node';

const making = new Map<string, Promise<string>>();

/** Returns the runtime images' names, one per stack (`build` to build in, `run` to base app
 *  images on), creating them the first time. */
export async function ensureNodeRuntimeImages(opts: RuntimeImageOptions): Promise<StackImages> {
  const [build, run] = await Promise.all([ensureOne(opts, opts.stacks.build), ensureOne(opts, opts.stacks.run)]);
  return { build, run };
}

async function ensureOne(opts: RuntimeImageOptions, stackImage: string): Promise<string> {
  // The tag holds the stack's id: a new stack image means new runtime images.
  const stackId = shortImageId((await opts.docker.getImage(stackImage).inspect()).Id);
  const image = `${NODE_RUNTIME_REPO}:${opts.runtime.node}-npm${opts.runtime.npm}-${stackId}`;
  let pending = making.get(image);
  if (!pending) {
    pending = makeRuntimeImage(opts, stackImage, image).finally(() => making.delete(image));
    making.set(image, pending);
  }
  return pending;
}

async function makeRuntimeImage(opts: RuntimeImageOptions, stackImage: string, image: string): Promise<string> {
  if (await imageExists(opts.docker, image)) return image;
  opts.log(`-----> Preparing the Node.js ${opts.runtime.node} runtime layer on ${stackImage} (once per version)`);
  const { repo, tag } = splitImageRef(image);
  await withBuildContainer(
    {
      docker: opts.docker,
      image: stackImage,
      user: '1000:1000',
      workingDir: IN.app,
      cmd: ['/bin/bash', `${IN.buildpacks}/nodejs/lib/install-runtime.sh`, `${IN.app}/${NODE_RUNTIME_DIR}`, opts.runtime.node, opts.runtime.npm, IN.runtimes],
      labels: { [opts.label]: '1', [`${opts.label}.runtime`]: `node-${opts.runtime.node}` },
      binds: [`${opts.buildpacksDir}:${IN.buildpacks}:ro`, `${opts.runtimesDir}:${IN.runtimes}:ro`],
      memoryBytes: 1024 ** 3,
      network: 'none',
      timeoutMs: 5 * 60_000,
      log: (line) => opts.log(`       ${line}`),
    },
    async (container, exitCode) => {
      if (exitCode !== 0) throw new Error(`installing Node.js ${opts.runtime.node} into ${image} failed (exit ${exitCode})`);
      await container.commit({
        repo,
        tag,
        comment: `Node.js ${opts.runtime.node}, npm ${opts.runtime.npm}`,
        changes: ['USER 1000:1000', 'WORKDIR /app', 'CMD ["/bin/bash"]'],
      });
    },
  );
  return image;
}
