// The build engine: a second dockerd, started by bin/setup with --userns-remap on its own
// socket and data root, that runs only Dockerfile builds. Root in a RUN step is then uid
// 100000+ on the host, its capabilities hold only inside its user namespace, and the step has
// no network at all. The run engine never builds tenant Dockerfiles; it pulls the result from
// the registry. The build engine has no images of its own: the local base images a Dockerfile
// names (the stack images, PAAS_DOCKERFILE_IMAGES) are copied over from the run engine
// (docker save | docker load, once per image version); the app's own images it pulls from
// the registry itself, with the platform's credentials.
import Dockerode from 'dockerode';
import type { Config } from '../common/config.ts';
import { errorMessage } from '../common/errors.ts';
import { followDockerStream } from './docker-stream.ts';

/** The build engine of the config, or null when Dockerfile builds run on the run engine. */
export function connectBuildEngine(config: Pick<Config, 'buildDockerSocket'>): Dockerode | null {
  return config.buildDockerSocket === null ? null : new Dockerode({ socketPath: config.buildDockerSocket });
}

/** Throws a platform error (the build is retried) when the build engine does not answer. */
export async function checkBuildEngine(engine: Dockerode): Promise<void> {
  const socket = (engine.modem as { socketPath?: string }).socketPath ?? '?';
  try {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer in 10 s')), 10_000); });
    await Promise.race([engine.ping(), late]).finally(() => clearTimeout(timer));
  } catch (err) {
    throw new Error(`the build engine on ${socket} does not answer (${errorMessage(err)}): start it with bin/setup services, or set PAAS_BUILD_DOCKER_SOCKET`, { cause: err });
  }
}

const imageId = (docker: Dockerode, image: string): Promise<string | null> =>
  docker.getImage(image).inspect().then((i) => i.Id, () => null);

/** Copies each image from `from` to `to` unless `to` has the same image id under that name.
 *  An image `from` lacks is left alone (the build fails on it as the daemon says). */
export async function copyImages(opts: { from: Dockerode; to: Dockerode; images: string[]; log: (line: string) => void }): Promise<void> {
  for (const image of opts.images) {
    const id = await imageId(opts.from, image);
    if (id === null || (await imageId(opts.to, image)) === id) continue;
    opts.log(`-----> Copying ${image} to the build engine`);
    const saved = await opts.from.getImage(image).get();
    const loaded = await opts.to.loadImage(saved, { quiet: true });
    await followDockerStream(loaded, () => {});
  }
}

/** The build engine keeps the newest `keep` images built under `label` (their layers are the
 *  step cache of the next builds) and removes the rest: no app's destroy reaches this engine,
 *  so its disk is bounded here. */
export async function pruneBuildEngine(opts: { engine: Dockerode; label: string; keep: number }): Promise<void> {
  const images = await opts.engine.listImages({ filters: { label: [`${opts.label}.build`] } });
  const old = images.sort((a, b) => b.Created - a.Created).slice(opts.keep);
  for (const img of old) {
    for (const tag of img.RepoTags ?? []) await opts.engine.getImage(tag).remove().catch(() => undefined);
  }
}
