// The router supervisor's memory of what to serve: the newest route table and certificate
// bundle any worker has reported. A worker started later (a replacement, a rolling restart)
// gets them first, so it routes at once even while Redis or the controller is down. With a
// file, they also survive a restart of the router itself: written atomically, mode 0600 (the
// bundle holds private keys), read back at start; a damaged file is ignored and logged.
import fs from 'node:fs';
import path from 'node:path';
import { parseRouteTable } from './route-table.ts';
import { parseCertBundle } from './tls.ts';
import type { RouterState } from './index.ts';
import { errorMessage } from '../common/errors.ts';

export interface StateKeeper {
  current(): RouterState;
  /** Keeps the parts newer than what is kept; writes the file soon if anything changed. */
  offer(state: RouterState): void;
  /** Writes a pending change now. */
  flush(): Promise<void>;
}

export function createStateKeeper(opts: { file?: string; log: (line: string) => void; writeDelayMs?: number }): StateKeeper {
  const { file, log } = opts;
  const state: RouterState = file ? readStateFile(file, log) : {};
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    timer = null;
    if (!file) return Promise.resolve();
    const text = JSON.stringify(state);
    writing = writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await fs.promises.writeFile(tmp, text, { mode: 0o600 });
        await fs.promises.rename(tmp, file);
      } catch (err) {
        log(`could not save the last-known routes to ${file}: ${errorMessage(err)}`);
      }
    });
    return writing;
  };

  return {
    current: () => ({ ...state }),
    offer(next) {
      let changed = false;
      if (next.table && next.table.version > (state.table?.version ?? -1)) {
        state.table = next.table;
        changed = true;
      }
      if (next.certs && next.certs.version > (state.certs?.version ?? -1)) {
        state.certs = next.certs;
        changed = true;
      }
      if (changed && file && timer === null) {
        timer = setTimeout(() => void write(), opts.writeDelayMs ?? 200);
        timer.unref();
      }
    },
    async flush() {
      if (timer !== null) {
        clearTimeout(timer);
        await write();
      }
      await writing;
    },
  };
}

function readStateFile(file: string, log: (line: string) => void): RouterState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {}; // first start
  }
  const out: RouterState = {};
  try {
    const data = JSON.parse(text) as { table?: unknown; certs?: unknown };
    if (data.table !== undefined) out.table = parseRouteTable(JSON.stringify(data.table));
    if (data.certs !== undefined) out.certs = parseCertBundle(JSON.stringify(data.certs));
  } catch (err) {
    // Never quote the file: it holds private keys.
    log(`ignoring the saved routes in ${file}: ${err instanceof Error ? err.message.split('\n')[0].slice(0, 80) : 'unreadable'}`);
    return {};
  }
  return out;
}
