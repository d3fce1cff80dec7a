// A pids limit for Dockerfile builds. The classic builder has no pids option, but it takes a
// cgroup parent: the build's step containers are created under a cgroup of ours whose
// pids.max caps them all together (a fork bomb in a RUN step stops there). cgroupfs driver,
// cgroup v1 (a pids hierarchy) or v2 (unified).
import fs from 'node:fs/promises';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isDirectory(), () => false);
}

/** Runs `use` with the name of a fresh cgroup parent limited to `pidsMax` tasks, then removes
 *  it (in every hierarchy Docker created it in). */
export async function withPidsCgroup<T>(name: string, pidsMax: number, use: (cgroupParent: string) => Promise<T>): Promise<T> {
  const v1 = path.join(ROOT, 'pids');
  const base = (await isDir(v1)) ? v1 : ROOT;
  const dir = path.join(base, name);
  await fs.mkdir(dir);
  try {
    await fs.writeFile(path.join(dir, 'pids.max'), String(pidsMax));
    return await use(`/${name}`);
  } finally {
    await removeCgroup(name);
  }
}

async function removeCgroup(name: string): Promise<void> {
  const hierarchies = (await isDir(path.join(ROOT, 'pids')))
    ? (await fs.readdir(ROOT)).map((h) => path.join(ROOT, h))
    : [ROOT];
  for (const h of hierarchies) {
    const dir = path.join(h, name);
    // Docker removes the step containers' own cgroups as it removes them; then ours is empty.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await fs.rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') break;
        if (code !== 'EBUSY') throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
