// Starts the load generator (load.ts) as a child process, so its timing does not share an
// event loop with the platform under test; used by the bench and by test/e2e-zero-downtime.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadMessage, LoadOptions, LoadReply, PhaseStats } from './load.ts';

export interface LoadProcess {
  child: ChildProcess;
  /** Switches the phase new requests are counted in (the first one starts the load). */
  send(m: LoadMessage): void;
  /** Stops the load, waits for the requests in flight, and returns the counts per phase. */
  stats(): Promise<Record<string, PhaseStats>>;
}

export function startLoadProcess(opts: LoadOptions): Promise<LoadProcess> {
  const child = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), [JSON.stringify(opts)], {
    execArgv: ['--disable-warning=ExperimentalWarning'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: LoadReply) => {
      if (m.type !== 'ready') return reject(new Error('load generator did not start'));
      resolve({
        child,
        send: (msg) => child.send(msg),
        stats: () => new Promise((res) => {
          child.once('message', (r: LoadReply) => { if (r.type === 'stats') res(r.phases); });
          child.send({ type: 'stop' } satisfies LoadMessage);
        }),
      });
    });
  });
}
