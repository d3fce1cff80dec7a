// Self-healing: periodically (and after the platform starts) converge every app's dynos to its
// current release and formation — missing dynos are started, surplus and stale ones removed.
// Running containers are re-adopted by their labels, never recreated needlessly.
import { errorMessage } from '../../common/errors.ts';
import { listApps } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import type { Scheduler } from '../scheduler/types.ts';
import type { Deployer } from './deployer.ts';

export interface Reconciler {
  /** One pass over every app; resolves when done. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

export function startReconciler(deps: {
  db: Db; scheduler: Scheduler; deployer: Deployer; intervalMs: number; log: (line: string) => void;
}): Reconciler {
  let running: Promise<void> | null = null;
  let stopped = false;

  async function pass(): Promise<void> {
    const dynos = await deps.scheduler.list();
    for (const app of listApps(deps.db)) {
      if (stopped) return;
      const current = currentRelease(deps.db, app.id);
      const mine = dynos.filter((d) => d.app === app.name);
      if (!current && mine.length === 0) continue;
      try {
        await deps.deployer.reconcile(app);
      } catch (err) {
        deps.log(`reconcile ${app.name}: ${errorMessage(err).split('\n')[0]}`);
      }
    }
  }

  const runOnce = (): Promise<void> => {
    running ??= pass().catch((err: unknown) => deps.log(`reconcile: ${errorMessage(err)}`)).finally(() => { running = null; });
    return running;
  };
  const timer = setInterval(() => { void runOnce(); }, deps.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
