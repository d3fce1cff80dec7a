// The stack image builds run in and apps run on: Debian bookworm (minbase) + a few tools and
// CPython 3, a `paas` user (uid/gid 1000, home /app). Made with debootstrap, imported with
// docker import. The image carries the hash of its recipe (label paas.stack.key): an image made
// from another recipe is made again. Script use: `node builder/stack.ts [--force]`.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import Dockerode from 'dockerode';
import { loadConfig } from '../common/config.ts';
import { withDirLock } from './dir-lock.ts';
import { runLogged } from './exec-file.ts';
import { importRootfs } from './import-rootfs.ts';

export const STACK_SUITE = 'bookworm';
export const STACK_MIRROR = 'http://deb.debian.org/debian';
/** python3-venv brings ensurepip's bundled pip and setuptools wheels: venvs are made offline. */
export const STACK_PACKAGES = ['ca-certificates', 'curl', 'tar', 'gzip', 'xz-utils', 'bzip2', 'procps', 'make', 'git', 'python3', 'python3-venv'];
/** Bump when the customisation below changes, so the cached rootfs tarball is rebuilt. */
const RECIPE_VERSION = 1;
const PATH_VALUE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface EnsureStackImageOptions {
  docker: Dockerode;
  /** config.stackImage, e.g. paas/stack:1 */
  image: string;
  /** Where the rootfs tarball is cached (config.dataDir + '/stack'). */
  workDir: string;
  log: (line: string) => void;
  /** Re-import even if the image exists (from the cached tarball when there is one). */
  force?: boolean;
}

export async function imageExists(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Hash of what goes into the stack: suite, mirror, packages, recipe. */
export const STACK_KEY = createHash('sha256').update(JSON.stringify([STACK_SUITE, STACK_MIRROR, STACK_PACKAGES, RECIPE_VERSION])).digest('hex').slice(0, 12);
const KEY_LABEL = 'paas.stack.key';

/** The image's recipe key, or null when the image is missing (undefined: made before keys). */
async function imageKey(docker: Dockerode, image: string): Promise<string | null | undefined> {
  const info = await docker.getImage(image).inspect().catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return null;
    throw err;
  });
  return info === null ? null : (info.Config?.Labels?.[KEY_LABEL] ?? undefined);
}

export async function ensureStackImage(opts: EnsureStackImageOptions): Promise<void> {
  if (!opts.force && (await imageKey(opts.docker, opts.image)) === STACK_KEY) return;
  await fs.mkdir(opts.workDir, { recursive: true });
  // Two builders (or test files) starting together: one makes the image, the other waits.
  await withDirLock(path.join(opts.workDir, '.lock'), async () => {
    const previous = await opts.docker.getImage(opts.image).inspect().catch(() => null);
    if (previous && !opts.force && previous.Config?.Labels?.[KEY_LABEL] === STACK_KEY) return;
    if (previous) opts.log(`-----> ${opts.image} was made from another recipe: making it again`);
    await makeStackImage(opts, previous?.Id ?? null);
  });
}

async function makeStackImage(opts: EnsureStackImageOptions, previous: string | null): Promise<void> {
  const key = STACK_KEY;
  const tarFile = path.join(opts.workDir, `rootfs-${STACK_SUITE}-${key}.tar`);
  if (!(await exists(tarFile))) await buildRootfsTar({ ...opts, tarFile });
  else opts.log(`-----> Using cached rootfs ${tarFile}`);
  opts.log(`-----> Importing ${opts.image}`);
  await importRootfs({
    docker: opts.docker,
    source: { tarFile },
    image: opts.image,
    changes: [`ENV PATH=${PATH_VALUE}`, 'ENV LANG=C.UTF-8', 'WORKDIR /app', 'USER 1000:1000', `LABEL paas=1 paas.stack=1 ${KEY_LABEL}=${key}`, 'CMD ["/bin/bash"]'],
    message: `paas stack ${STACK_SUITE} (${key})`,
  });
  // The replaced image stays while app images still build on it; otherwise drop it.
  if (previous) await opts.docker.getImage(previous).remove().catch(() => {});
}

async function buildRootfsTar(opts: EnsureStackImageOptions & { tarFile: string }): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('building the stack image needs root (debootstrap)');
  const rootfs = `${opts.tarFile}.rootfs`;
  await fs.rm(rootfs, { recursive: true, force: true });
  try {
    opts.log(`-----> debootstrap ${STACK_SUITE} (minbase + ${STACK_PACKAGES.join(',')})`);
    const args = ['--variant=minbase', `--include=${STACK_PACKAGES.join(',')}`, STACK_SUITE, rootfs, STACK_MIRROR];
    await runLogged('debootstrap', args, (line) => opts.log(`       ${line}`));
    await customize(rootfs);
    opts.log(`-----> Caching rootfs as ${opts.tarFile}`);
    await runLogged('tar', ['--numeric-owner', '-C', rootfs, '-cf', `${opts.tarFile}.tmp`, '.'], opts.log);
    await fs.rename(`${opts.tarFile}.tmp`, opts.tarFile);
  } finally {
    await fs.rm(rootfs, { recursive: true, force: true });
    await fs.rm(`${opts.tarFile}.tmp`, { force: true });
  }
}

async function customize(rootfs: string): Promise<void> {
  const at = (p: string): string => path.join(rootfs, p);
  await fs.appendFile(at('etc/passwd'), 'paas:x:1000:1000:paas:/app:/bin/bash\n');
  await fs.appendFile(at('etc/group'), 'paas:x:1000:\n');
  await fs.appendFile(at('etc/shadow'), 'paas:!:19000:0:99999:7:::\n');
  await fs.mkdir(at('app'), { mode: 0o755 });
  await fs.chown(at('app'), 1000, 1000);
  await fs.mkdir(at('var/lib/paas'), { recursive: true });
  await fs.writeFile(at('etc/hostname'), 'localhost\n');
  await fs.writeFile(at('etc/resolv.conf'), '');
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/man', 'usr/share/info']) {
    const entries = await fs.readdir(at(dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === 'partial' || entry.name === 'lock') continue;
      await fs.rm(path.join(at(dir), entry.name), { recursive: true, force: true });
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const started = Date.now();
  await ensureStackImage({
    docker,
    image: config.stackImage,
    workDir: path.join(config.dataDir, 'stack'),
    log: (line) => console.log(line),
    force: process.argv.includes('--force'),
  });
  const info = await docker.getImage(config.stackImage).inspect();
  console.log(`-----> ${config.stackImage} ready (${Math.round(info.Size / 1e6)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(` !     ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
