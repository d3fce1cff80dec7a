// A dyno container's CPU time and memory, read from its cgroup files (cgroup v1 or v2, the
// cgroupfs or systemd driver): no Docker API call per sample. Null for a container whose
// files this host does not have (a dyno on another node).
import fs from 'node:fs/promises';
import path from 'node:path';

export interface CgroupSample {
  /** CPU time used so far, nanoseconds. */
  cpuNs: number;
  /** Memory in use (without the inactive page cache, as `docker stats` counts it), bytes. */
  memory: number;
  /** Memory limit, bytes; null when unlimited. */
  limit: number | null;
}

const V2_DIRS = (id: string): string[] => [`system.slice/docker-${id}.scope`, `docker/${id}`];
/** Anything at or above this is "no limit" (v1 reports a page-rounded 2^63). */
const UNLIMITED = 2 ** 60;

async function read(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

const statField = (text: string, name: string): number | null => {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

const limitOf = (text: string | null): number | null => {
  const v = text?.trim();
  if (!v || v === 'max') return null;
  const n = Number(v);
  return Number.isFinite(n) && n < UNLIMITED ? n : null;
};

export async function readCgroup(containerId: string, root = '/sys/fs/cgroup'): Promise<CgroupSample | null> {
  if (!/^[0-9a-f]{12,64}$/.test(containerId)) return null;
  for (const dir of V2_DIRS(containerId)) {
    const base = path.join(root, dir);
    const [cpu, current, max, stat] = await Promise.all(['cpu.stat', 'memory.current', 'memory.max', 'memory.stat'].map((f) => read(path.join(base, f))));
    if (cpu === null || current === null) continue;
    const usec = statField(cpu, 'usage_usec') ?? 0;
    const inactive = stat === null ? 0 : statField(stat, 'inactive_file') ?? 0;
    return { cpuNs: usec * 1000, memory: Math.max(0, Number(current) - inactive), limit: limitOf(max) };
  }
  const [usage, mem, max, stat] = await Promise.all([
    read(path.join(root, 'cpuacct/docker', containerId, 'cpuacct.usage')),
    read(path.join(root, 'memory/docker', containerId, 'memory.usage_in_bytes')),
    read(path.join(root, 'memory/docker', containerId, 'memory.limit_in_bytes')),
    read(path.join(root, 'memory/docker', containerId, 'memory.stat')),
  ]);
  if (usage === null || mem === null) return null;
  const inactive = stat === null ? 0 : statField(stat, 'total_inactive_file') ?? 0;
  return { cpuNs: Number(usage), memory: Math.max(0, Number(mem) - inactive), limit: limitOf(max) };
}
