// Where an app's build cache (the buildpacks' CACHE_DIR) lives, shared by the builder, which
// mounts it into builds, and the controller, which purges it (DELETE /apps/:app/build-cache).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const buildCacheDir = (dataDir: string, app: string): string => path.join(dataDir, 'cache', 'build', app);

/** Empties the app's build cache. The directory is renamed first, so a build running now keeps
 *  the files it has open and the next build starts from nothing. Returns false if there was none. */
export async function purgeBuildCache(dataDir: string, app: string): Promise<boolean> {
  const dir = buildCacheDir(dataDir, app);
  const trash = path.join(path.dirname(dir), `.purged-${app}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(dir, trash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fs.rm(trash, { recursive: true, force: true });
  return true;
}
