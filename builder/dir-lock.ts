// A lock between processes on one machine: an atomic mkdir, removed when done; a lock older
// than staleMs is taken over (its holder died).
import fs from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, staleMs = 15 * 60_000): Promise<T> {
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await fs.stat(lockDir).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleMs) await fs.rm(lockDir, { recursive: true, force: true });
      else await delay(500);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}
