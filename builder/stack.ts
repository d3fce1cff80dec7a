// The two stack images, as Heroku's heroku-24 / heroku-24-build: a run image apps run on
// (config.stackImage, paas/stack:1) and a build image buildpacks run in (config.stackBuildImage,
// paas/stack:1-build), both Debian bookworm minbase with a `paas` user (uid/gid 1000, home
// /app), made offline from debootstrap output (stack-rootfs.ts) with docker import. Each image
// carries the hash of the recipe (label paas.stack.key): images made from another recipe are
// made again. Admin command: `node builder/stack.ts [--force]`.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { loadConfig, type Config } from '../common/config.ts';
import { withDirLock } from './dir-lock.ts';
import { importRootfs } from './import-rootfs.ts';
import { STACK_FLAVOURS, STACK_KEY, STACK_SUITE, makeRootfsTars, rootfsTarFile, type StackFlavour } from './stack-rootfs.ts';
import { errorMessage } from '../common/errors.ts';

export { STACK_SUITE } from './stack-rootfs.ts';
const PATH_VALUE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const KEY_LABEL = 'paas.stack.key';

/** Image names of the two flavours. */
export type StackImages = Record<StackFlavour, string>;

export function stackImages(config: Pick<Config, 'stackImage' | 'stackBuildImage'>): StackImages {
  return { run: config.stackImage, build: config.stackBuildImage };
}

export interface EnsureStackImagesOptions {
  docker: Dockerode;
  images: StackImages;
  /** Where the rootfs tarballs are cached (config.dataDir + '/stack'). */
  workDir: string;
  log: (line: string) => void;
  /** Re-import even if the images exist (from the cached tarballs when there are some). */
  force?: boolean;
}

/** The image's inspect data, or null when it is missing. */
async function inspectImage(docker: Dockerode, image: string): Promise<Dockerode.ImageInspectInfo | null> {
  return docker.getImage(image).inspect().catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return null;
    throw err;
  });
}

export async function imageExists(docker: Dockerode, image: string): Promise<boolean> {
  return (await inspectImage(docker, image)) !== null;
}

/** The short form of an image id (12 hex digits, as `docker images` shows it). */
export const shortImageId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** Id and recipe key of an image, or null when it is missing. */
async function inspectStack(docker: Dockerode, image: string): Promise<{ id: string; key: string | undefined } | null> {
  const info = await inspectImage(docker, image);
  return info === null ? null : { id: info.Id, key: info.Config?.Labels?.[KEY_LABEL] };
}

/** The flavours whose image is missing or was made from another recipe (all of them with force). */
async function staleFlavours(opts: EnsureStackImagesOptions): Promise<StackFlavour[]> {
  const stale: StackFlavour[] = [];
  for (const flavour of STACK_FLAVOURS) {
    if (opts.force || (await inspectStack(opts.docker, opts.images[flavour]))?.key !== STACK_KEY) stale.push(flavour);
  }
  return stale;
}

/** Makes the stack images that are missing or out of date (from the cached tarballs if any). */
export async function ensureStackImages(opts: EnsureStackImagesOptions): Promise<void> {
  if ((await staleFlavours(opts)).length === 0) return;
  await fs.mkdir(opts.workDir, { recursive: true });
  // Builders (or test platforms, each with its own data dir) starting together: one makes the
  // images, the others wait for it and then find them up to date.
  await withDirLock(path.join(os.tmpdir(), 'paas-stack-images.lock'), async () => {
    const stale = await staleFlavours(opts);
    if (stale.length === 0) return;
    const missingTars: StackFlavour[] = [];
    for (const flavour of stale) {
      if (!(await exists(rootfsTarFile(opts.workDir, flavour)))) missingTars.push(flavour);
    }
    if (missingTars.length > 0) await makeRootfsTars({ workDir: opts.workDir, flavours: missingTars, log: opts.log });
    for (const flavour of stale) await importStack(opts, flavour);
    await removeLeftovers(opts);
  });
}

/** Repository of the Node.js runtime images (runtime-image.ts): tagged `<node>-npm<npm>-<stack id>`. */
export const NODE_RUNTIME_REPO = 'paas/node-runtime';

/** What older stacks left: runtime images made on a stack image that is gone (untagged only:
 *  app images built on them keep their layers) and rootfs tarballs of other recipes. */
async function removeLeftovers(opts: EnsureStackImagesOptions): Promise<void> {
  const ids = new Set<string>();
  for (const flavour of STACK_FLAVOURS) {
    const info = await inspectStack(opts.docker, opts.images[flavour]);
    if (info) ids.add(shortImageId(info.id));
  }
  const images = await opts.docker.listImages({ filters: { reference: [NODE_RUNTIME_REPO] } });
  for (const tag of images.flatMap((img) => img.RepoTags ?? [])) {
    if (!tag.startsWith(`${NODE_RUNTIME_REPO}:`) || ids.has(tag.slice(tag.lastIndexOf('-') + 1))) continue;
    await opts.docker.getImage(tag).remove().catch(() => {}); // in use by a container: kept
  }
  const keep = new Set(STACK_FLAVOURS.map((f) => path.basename(rootfsTarFile(opts.workDir, f))));
  for (const name of await fs.readdir(opts.workDir)) {
    if (/^rootfs-.*\.tar$/.test(name) && !keep.has(name)) await fs.rm(path.join(opts.workDir, name), { force: true });
  }
}

async function importStack(opts: EnsureStackImagesOptions, flavour: StackFlavour): Promise<void> {
  const image = opts.images[flavour];
  const previous = await inspectStack(opts.docker, image);
  if (previous && previous.key !== STACK_KEY) opts.log(`-----> ${image} was made from another recipe: making it again`);
  const tarFile = rootfsTarFile(opts.workDir, flavour);
  opts.log(`-----> Importing ${image} from ${tarFile}`);
  await importRootfs({
    docker: opts.docker,
    source: { tarFile },
    image,
    changes: [
      `ENV PATH=${PATH_VALUE}`,
      'ENV LANG=C.UTF-8',
      'WORKDIR /app',
      'USER 1000:1000',
      `LABEL paas=1 paas.stack=1 paas.stack.flavour=${flavour} ${KEY_LABEL}=${STACK_KEY}`,
      'CMD ["/bin/bash"]',
    ],
    message: `paas stack ${STACK_SUITE} ${flavour} (${STACK_KEY})`,
  });
  // The replaced image stays while app images still build on it; otherwise drop it.
  const now = await inspectStack(opts.docker, image);
  if (previous && previous.id !== now?.id) await opts.docker.getImage(previous.id).remove().catch(() => {});
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const images = stackImages(config);
  const started = Date.now();
  await ensureStackImages({
    docker,
    images,
    workDir: path.join(config.dataDir, 'stack'),
    log: (line) => console.log(line),
    force: process.argv.includes('--force'),
  });
  for (const image of [images.run, images.build]) {
    const info = await docker.getImage(image).inspect();
    console.log(`-----> ${image} ready (${Math.round(info.Size / 1e6)} MB)`);
  }
  console.log(`       in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(` !     ${errorMessage(err)}`);
    process.exitCode = 1;
  });
}
