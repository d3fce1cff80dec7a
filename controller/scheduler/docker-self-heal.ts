// Self-healing of dynos the Docker restart policy leaves alone. A dyno whose process exits is
// restarted by Docker itself (`unless-stopped`: 100 ms, doubling, at most 1 min, reset after
// 10 s up — checked on this engine). A dyno stopped from outside the platform (`docker kill`,
// `docker stop`, which Docker treats as "manually stopped") is not: this restarts it with the
// same back-off. Dynos the scheduler is starting or stopping itself are never touched.
import type Dockerode from 'dockerode';
import { ONE_OFF } from './types.ts';

/** Dynos the scheduler itself is acting on, shared with docker-scheduler.ts. */
export interface DynoTracker {
  /** Started by launch/replace, health check pending (the scheduler owns their fate). */
  launching: Set<string>;
  /** Out of routing, being drained, stopped and removed. */
  stopping: Set<string>;
}

export interface SelfHeal {
  /** Looks at a dyno that died or was found exited; schedules its restart if nothing else will. */
  check(id: string): Promise<void>;
  /** A restart is scheduled (the dyno shows as "restarting"). */
  pending(id: string): boolean;
  forget(id: string): void;
  close(): void;
}

/** Delay before the n-th consecutive restart (n from 0), as Docker's restart manager does. */
export const backoffMs = (failures: number): number => Math.min(100 * 2 ** failures, 60_000);
/** A dyno that stayed up this long starts again from the shortest delay. */
const RESET_AFTER_MS = 10_000;

export function createSelfHeal(deps: {
  docker: Dockerode;
  label: string;
  track: DynoTracker;
  notify: () => void;
  log: (line: string) => void;
  /** Only dynos of these apps are healed (another platform may share the Docker label). */
  owns: (app: string) => boolean;
}): SelfHeal {
  const { docker, label, track } = deps;
  /** timer: a restart is scheduled; busy: it is being started. */
  const entries = new Map<string, { failures: number; timer: NodeJS.Timeout | null; busy: boolean }>();
  let closed = false;

  const schedule = (id: string, dyno: string, ranMs: number): void => {
    const e = entries.get(id) ?? { failures: 0, timer: null, busy: false };
    entries.set(id, e);
    if (e.timer || e.busy) return;
    if (ranMs >= RESET_AFTER_MS) e.failures = 0;
    const delay = backoffMs(e.failures);
    e.failures++;
    deps.log(`${dyno} was stopped outside the platform; restarting it in ${delay} ms`);
    e.timer = setTimeout(() => {
      e.timer = null;
      if (closed || track.stopping.has(id) || track.launching.has(id)) return;
      e.busy = true;
      let again = false;
      docker.getContainer(id).start().catch((err: { statusCode?: number; message?: string }) => {
        if (err.statusCode === 404 || err.statusCode === 409) entries.delete(id); // gone, or being removed
        else if (err.statusCode !== 304) {
          deps.log(`${dyno}: restart failed: ${err.message}`);
          again = true;
        }
      }).finally(() => {
        e.busy = false;
        if (again && !closed) schedule(id, dyno, 0);
        deps.notify();
      });
    }, delay);
    e.timer.unref();
    deps.notify();
  };

  return {
    async check(id) {
      if (closed || track.launching.has(id) || track.stopping.has(id)) return;
      let info: Dockerode.ContainerInspectInfo;
      try {
        info = await docker.getContainer(id).inspect();
      } catch {
        return;
      }
      const labels = info.Config.Labels ?? {};
      if (labels[label] !== '1' || !labels[`${label}.dyno`] || labels[`${label}.type`] === ONE_OFF) return;
      if (!deps.owns(labels[`${label}.app`])) return;
      // Running again, or in Docker's own restart back-off: Docker handles it.
      if (info.State.Running || info.State.Restarting) return;
      if (track.launching.has(id) || track.stopping.has(id)) return;
      const ranMs = Date.parse(info.State.FinishedAt) - Date.parse(info.State.StartedAt);
      schedule(id, `${labels[`${label}.app`]} ${labels[`${label}.dyno`]}`, Number.isFinite(ranMs) ? ranMs : 0);
    },
    pending: (id) => { const e = entries.get(id); return e !== undefined && (e.timer !== null || e.busy); },
    forget(id) {
      const e = entries.get(id);
      if (e?.timer) clearTimeout(e.timer);
      entries.delete(id);
    },
    close() {
      closed = true;
      for (const e of entries.values()) if (e.timer) clearTimeout(e.timer);
      entries.clear();
    },
  };
}
