// Builds are refused before they start when the disk they would fill is nearly full: the data
// dir (sources, repositories, logs, SQLite) and Docker's root (build containers, images). A
// build that ran out of space halfway could leave half-written files and images; refusing it
// up front, with the numbers, leaves everything as it was and tells the user why.
import fs from 'node:fs';
import { PaasError } from '../../common/errors.ts';

export class InsufficientStorageError extends PaasError {
  constructor(message: string) { super('insufficient_storage', 507, message); }
}

export interface DiskGuard {
  /** Throws InsufficientStorageError when a watched filesystem has less than the minimum free. */
  check(): void;
}

export function createDiskGuard(opts: { paths: string[]; minFreeMb: number }): DiskGuard {
  return {
    check() {
      if (opts.minFreeMb <= 0) return;
      for (const p of opts.paths) {
        let freeMb: number;
        try {
          const s = fs.statfsSync(p);
          freeMb = Math.floor((s.bavail * s.bsize) / (1024 * 1024));
        } catch {
          continue; // not there (yet): nothing to measure
        }
        if (freeMb < opts.minFreeMb) {
          throw new InsufficientStorageError(
            `Build refused: only ${freeMb} MB free on the disk of ${p} (at least ${opts.minFreeMb} MB are kept free, PAAS_MIN_FREE_DISK_MB). Nothing was changed; push again once an operator has freed space.`);
        }
      }
    },
  };
}
