// The root filesystems of the two stack images, made on the host with debootstrap (minbase)
// and cached as tarballs: `run` (what apps need at run time) and `build` (the run set plus
// build tools). Made together, the two debootstrap runs share one package download directory,
// so their common packages are the same versions (a venv made at build time runs on the run
// image); the recipe hash covers both, so a changed recipe makes both again.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runLogged } from './exec-file.ts';

export const STACK_SUITE = 'bookworm';
export const STACK_MIRROR = 'http://deb.debian.org/debian';
/** What apps run with. python3: python apps' virtualenvs link to it, the static buildpack's
 *  server runs on it; python3-pip-whl: a virtualenv's `pip` runs this wheel. */
export const STACK_RUN_PACKAGES = ['ca-certificates', 'curl', 'tar', 'gzip', 'procps', 'python3', 'python3-pip-whl'];
/** The build image adds build tools. python3-venv brings ensurepip's bundled pip and
 *  setuptools wheels: venvs are made offline. */
export const STACK_BUILD_PACKAGES = [...STACK_RUN_PACKAGES, 'xz-utils', 'bzip2', 'make', 'git', 'python3-venv'];
/** Bump when the customisation below changes, so the cached rootfs tarballs are made again. */
const RECIPE_VERSION = 2;

export type StackFlavour = 'run' | 'build';
export const STACK_FLAVOURS: readonly StackFlavour[] = ['build', 'run'];
const PACKAGES: Record<StackFlavour, string[]> = { run: STACK_RUN_PACKAGES, build: STACK_BUILD_PACKAGES };

/** Hash of what goes into the stack: suite, mirror, both package lists, recipe. */
export const STACK_KEY = createHash('sha256')
  .update(JSON.stringify([STACK_SUITE, STACK_MIRROR, STACK_RUN_PACKAGES, STACK_BUILD_PACKAGES, RECIPE_VERSION]))
  .digest('hex')
  .slice(0, 12);

export function rootfsTarFile(workDir: string, flavour: StackFlavour): string {
  return path.join(workDir, `rootfs-${STACK_SUITE}-${STACK_KEY}-${flavour}.tar`);
}

/** Makes the missing rootfs tarballs of `flavours` (debootstrap, ~35 s each, packages downloaded once). */
export async function makeRootfsTars(opts: { workDir: string; flavours: StackFlavour[]; log: (line: string) => void }): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('building the stack images needs root (debootstrap)');
  const debs = path.join(opts.workDir, `debs-${STACK_KEY}`);
  await fs.mkdir(debs, { recursive: true });
  try {
    // The build set first: it downloads every package the run set needs too.
    for (const flavour of STACK_FLAVOURS.filter((f) => opts.flavours.includes(f))) {
      await makeRootfsTar({ tarFile: rootfsTarFile(opts.workDir, flavour), packages: PACKAGES[flavour], debs, log: opts.log });
    }
  } finally {
    await fs.rm(debs, { recursive: true, force: true });
  }
}

async function makeRootfsTar(opts: { tarFile: string; packages: string[]; debs: string; log: (line: string) => void }): Promise<void> {
  const rootfs = `${opts.tarFile}.rootfs`;
  await fs.rm(rootfs, { recursive: true, force: true });
  try {
    opts.log(`-----> debootstrap ${STACK_SUITE} (minbase + ${opts.packages.join(',')})`);
    const args = ['--variant=minbase', `--cache-dir=${opts.debs}`, `--include=${opts.packages.join(',')}`, STACK_SUITE, rootfs, STACK_MIRROR];
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

/** The paas user (uid/gid 1000, home /app), /app, and no apt lists, package cache or man pages. */
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
