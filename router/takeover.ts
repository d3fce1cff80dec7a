// Router workers outlive a killed supervisor. node:cluster makes a worker exit when its primary
// goes away, and with the default round-robin scheduling the primary holds the listening
// sockets, so a kill -9 of the supervisor used to take the data plane down. Now (cluster.ts
// with takeoverDir) each worker listens itself with SO_REUSEPORT, stays up when its primary
// dies (an "orphan") and registers here. The next supervisor's workers listen beside the
// orphans; once they are all ready, the supervisor tells the orphans to finish (SIGTERM: drain,
// Connection: close, exit) and the kernel sends new connections to the new workers only.
import fs from 'node:fs';
import path from 'node:path';

/** Records this process as an orphaned worker; returns the function that removes the record. */
export function registerOrphan(dir: string, pid = process.pid): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, String(pid));
  fs.writeFileSync(file, `${new Date().toISOString()}\n`, { mode: 0o600 });
  return () => fs.rmSync(file, { force: true });
}

/** True while `pid` is a router worker process (not a recycled pid). */
function isWorkerProcess(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cluster-worker');
  } catch {
    return false;
  }
}

/** Tells every registered orphan to finish (SIGTERM) and forgets it; returns their pids. */
export function retireOrphans(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const told: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isWorkerProcess(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
        told.push(pid);
      } catch { /* gone meanwhile */ }
    }
    fs.rmSync(path.join(dir, name), { force: true });
  }
  return told;
}
