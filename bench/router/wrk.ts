// What the router benchmarks measure with: wrk runs and their reports, and CPU time from /proc.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';

const TICK_US = 1e6 / 100; // USER_HZ: /proc times are in 1/100 s

/** User + system CPU time (µs) of these processes and all their descendants, from /proc. */
export function cpuUs(roots: number[]): number {
  let ticks = 0;
  for (const s of processTree(roots).values()) ticks += s.ticks;
  return ticks * TICK_US;
}

/** These processes and all their descendants (pid → CPU ticks so far), from /proc. */
function processTree(roots: number[]): Map<number, { ppid: number; ticks: number }> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* exited meanwhile */ }
  }
  const wanted = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of stats) if (!wanted.has(pid) && wanted.has(s.ppid)) { wanted.add(pid); grew = true; }
  }
  return new Map([...stats].filter(([pid]) => wanted.has(pid)));
}

/** Where the load and the proxy run: CPU lists for taskset ("0", "1"), or null (anywhere). */
export interface Pinning { load: string; proxy: string }

/** Binds these processes, their descendants and all their threads to the CPUs `cpus`. */
export function pinTree(roots: number[], cpus: string): void {
  for (const pid of processTree(roots).keys()) {
    try {
      execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
    } catch { /* exited meanwhile */ }
  }
}

/** CPU time stolen by the hypervisor so far, and all CPU time (ticks, all CPUs: /proc/stat). */
function cpuTicks(): { steal: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
}

/** The request headers of a browser's page load (Chrome's, over HTTP/1.1), for --browser. */
export const BROWSER_HEADERS = [
  'Connection: keep-alive', 'Upgrade-Insecure-Requests: 1',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-GB,en;q=0.9',
  'Cookie: _session=4f1c2a9be07d4c1fa3b2c9d8e7f6a5b4; theme=dark',
];

/** wrk's report of `seconds` of load on `url` from `connections` connections (one thread), with this Host header,
 *  and `headers` besides; `cpus`: run it there (taskset). */
export function wrk(url: string, seconds: number, connections: number, host: string, cpus?: string, headers: readonly string[] = []): Promise<string> {
  const argv = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, ...headers.flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    execFile(cpus === undefined ? 'wrk' : 'taskset', cpus === undefined ? argv : ['-c', cpus, 'wrk', ...argv], { timeout: (seconds + 30) * 1000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** wrk latency value ("1.23ms", "850.00us", "1.01s") in ms. */
function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/** Requests a second, the median and 99th percentile latencies (ms) and the errors wrk counted. */
export function parse(out: string): { rps: number; p50: number; p99: number; errors: string } {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = [/Socket errors: (.*)/.exec(out)?.[1], /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] && `non-2xx ${/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1]}`]
    .filter(Boolean).join('; ');
  return { rps, p50, p99, errors };
}

/** This process's children other than those listed (e.g. the router's worker processes). */
export function childPids(except: Array<number | undefined>): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || except.includes(Number(entry))) continue;
    try {
      const text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** One figure of several rounds: the middle value (the mean of the two middle ones). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The rows of several rounds, one per key: each of `figures` its median (null stays null), the
 *  errors of all rounds once each. */
export function mergeRounds<T extends { errors: string }>(rows: T[], keyOf: (r: T) => string, figures: Array<keyof T>): T[] {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const merged: T = { ...rs[0], errors: [...new Set(rs.map((r) => r.errors).filter(Boolean))].join('; ') };
    for (const f of figures) if (rs[0][f] !== null) (merged[f] as number) = median(rs.map((r) => r[f] as number));
    return merged;
  });
}

/** wrk on `url` for `seconds`, after a 2 s warm-up (JIT, pools, TLS sessions), with the CPU time
 *  per request (µs) over the measured run of `pids()` and their descendants (null: none given),
 *  of whatever `otherCpuUs` counts (e.g. Redis's; null: not asked), and the share of the
 *  machine's CPU time the hypervisor stole meanwhile (%: other guests' load, a noise gauge).
 *  With `pin`, wrk runs on the load CPUs and the proxy's processes are bound to its own. */
export async function measureUrl(
  url: string, seconds: number, connections: number, host: string, pids: () => number[],
  opts: { otherCpuUs?: () => Promise<number>; pin?: Pinning | null; headers?: readonly string[] } = {},
): Promise<ReturnType<typeof parse> & { cpuUs: number | null; otherUs: number | null; stealPct: number }> {
  const { otherCpuUs, pin, headers } = opts;
  const roots = pids();
  if (pin) pinTree(roots, pin.proxy);
  await wrk(url, 2, connections, host, pin?.load, headers);
  const cpuBefore = cpuUs(roots);
  const otherBefore = otherCpuUs ? await otherCpuUs() : 0;
  const ticksBefore = cpuTicks();
  const r = parse(await wrk(url, seconds, connections, host, pin?.load, headers));
  const ticksAfter = cpuTicks();
  const requests = r.rps * seconds;
  return {
    ...r,
    cpuUs: roots.length ? (cpuUs(roots) - cpuBefore) / requests : null,
    otherUs: otherCpuUs ? (await otherCpuUs() - otherBefore) / requests : null,
    stealPct: (100 * (ticksAfter.steal - ticksBefore.steal)) / Math.max(1, ticksAfter.total - ticksBefore.total),
  };
}
