// A Node.js runtime layer shared by apps: the stack image plus /app/.heroku/node for one
// (node, npm) pair, made by the nodejs buildpack's own lib/install-runtime.sh. Builds start
// from it, so each app image only adds its own files and pushes stay small.
import type Dockerode from 'dockerode';
import { withBuildContainer } from './build-container.ts';
import { IN } from './container-paths.ts';
import { splitImageRef } from './import-rootfs.ts';
import type { NodeRuntime } from './node-runtime.ts';
import { imageExists } from './stack.ts';

export interface RuntimeImageOptions {
  docker: Dockerode;
  stackImage: string;
  runtime: NodeRuntime;
  buildpacksDir: string;
  runtimesDir: string;
  /** config.label */
  label: string;
  log: (line: string) => void;
}

const making = new Map<string, Promise<string>>();

/** Returns the runtime image's name, creating it the first time. */
export async function ensureNodeRuntimeImage(opts: RuntimeImageOptions): Promise<string> {
  const stackId = (await opts.docker.getImage(opts.stackImage).inspect()).Id.replace(/^sha256:/, '').slice(0, 12);
  const image = `paas/node-runtime:${opts.runtime.node}-npm${opts.runtime.npm}-${stackId}`;
  let pending = making.get(image);
  if (!pending) {
    pending = makeRuntimeImage(opts, image).finally(() => making.delete(image));
    making.set(image, pending);
  }
  return pending;
}

async function makeRuntimeImage(opts: RuntimeImageOptions, image: string): Promise<string> {
  if (await imageExists(opts.docker, image)) return image;
  opts.log(`-----> Preparing the Node.js ${opts.runtime.node} runtime layer (once per version)`);
  const { repo, tag } = splitImageRef(image);
  await withBuildContainer(
    {
      docker: opts.docker,
      image: opts.stackImage,
      user: '1000:1000',
      workingDir: IN.app,
      cmd: ['/bin/bash', `${IN.buildpacks}/nodejs/lib/install-runtime.sh`, `${IN.app}/.heroku/node`, opts.runtime.node, opts.runtime.npm, IN.runtimes],
      labels: { [opts.label]: '1', [`${opts.label}.runtime`]: `node-${opts.runtime.node}` },
      binds: [`${opts.buildpacksDir}:${IN.buildpacks}:ro`, `${opts.runtimesDir}:${IN.runtimes}:ro`],
      memoryBytes: 1024 ** 3,
      timeoutMs: 5 * 60_000,
      log: (line) => opts.log(`       ${line}`),
    },
    async (container, exitCode) => {
      if (exitCode !== 0) throw new Error(`installing Node.js ${opts.runtime.node} into ${image} failed (exit ${exitCode})`);
      await container.commit({ repo, tag, comment: `Node.js ${opts.runtime.node}, npm ${opts.runtime.npm}`, changes: ['CMD ["/bin/bash"]'] });
    },
  );
  return image;
}
