// What scaling (and restarting) a running release means, the same for every driver: the
// dynos to start (missing numbers up to the quantity), the surplus to stop (numbers above it,
// types no longer in the formation) and the crashed ones to look at. One-offs are left alone.
import { ONE_OFF, type Dyno, type ProcessSpec } from './types.ts';

export interface ScalePlan {
  wanted: Array<{ proc: ProcessSpec; index: number }>;
  extra: Dyno[];
  crashed: Dyno[];
}

/** current: the release's dynos that are not stopping. */
export function scalePlan(current: Dyno[], processes: ProcessSpec[]): ScalePlan {
  const plan: ScalePlan = { wanted: [], extra: [], crashed: [] };
  for (const proc of processes) {
    const have = new Set(current.filter((d) => d.type === proc.type).map((d) => Number(d.name.split('.')[1])));
    for (let i = 1; i <= proc.quantity; i++) if (!have.has(i)) plan.wanted.push({ proc, index: i });
  }
  for (const d of current) {
    if (d.type === ONE_OFF) continue;
    const proc = processes.find((p) => p.type === d.type);
    if (!proc || Number(d.name.split('.')[1]) > proc.quantity) plan.extra.push(d);
    else if (d.state === 'crashed') plan.crashed.push(d);
  }
  return plan;
}

/** Every dyno of a release's processes, numbered from 1. */
export const allDynos = (processes: ProcessSpec[]): ScalePlan['wanted'] =>
  processes.flatMap((proc) => Array.from({ length: proc.quantity }, (_, i) => ({ proc, index: i + 1 })));

/** A rolling restart, one dyno at a time, of all dynos, one ("web.1") or a type ("web"); never
 *  one-offs or dynos being stopped. Web dynos are replaced (a new one routed before the old one
 *  is drained), others restarted in place. Returns the names restarted. */
export async function rollingRestart(dynos: Dyno[], filter: string | undefined, steps: {
  replace(d: Dyno): Promise<void>;
  inPlace(d: Dyno): Promise<void>;
  syncRoutes(): Promise<void>;
}): Promise<string[]> {
  const targets = dynos
    .filter((d) => d.type !== ONE_OFF && d.state !== 'stopping' && (!filter || d.name === filter || d.type === filter))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const d of targets) await (d.type === 'web' ? steps.replace(d) : steps.inPlace(d));
  await steps.syncRoutes();
  return targets.map((d) => d.name);
}
