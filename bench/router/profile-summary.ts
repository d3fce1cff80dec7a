// Summarises a V8 .cpuprofile (from `run.ts --profile DIR`): where the router's busy time goes,
// by group (its own code, dependencies, Node's JavaScript, native work such as system calls,
// garbage collection), then by file and by function, heaviest first.
//   node bench/router/profile-summary.ts FILE.cpuprofile [--top 40]
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, flag } from '../../cli/args.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time, and the part of it not idle, in µs. */
  totalUs: number;
  busyUs: number;
  /** Share of busy time (0..1) by group: "paas" (router/ and common/), "dependencies", "node" (Node's JS), "native", "gc". */
  groups: Record<'paas' | 'dependencies' | 'node' | 'native' | 'gc', number>;
  byFile: Array<[string, number]>;
  byFunction: Array<[string, number]>;
}

const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/(node_modules|router|bench|common)\//, '$1/').replace(/^node:/, '');

export function summarize(profile: Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let totalUs = 0;
  let idleUs = 0;
  const groups = { paas: 0, dependencies: 0, node: 0, native: 0, gc: 0 };
  const fnTimes = new Map<string, number>();
  const fileTimes = new Map<string, number>();
  for (const [id, us] of selfUs) {
    totalUs += us;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') { idleUs += us; continue; }
    const where = url ? shortUrl(url) : '(native)';
    if (functionName === '(garbage collector)') groups.gc += us;
    else if (!url || url.startsWith('wasm:')) groups.native += us;
    else if (where.startsWith('router/') || where.startsWith('common/')) groups.paas += us;
    else if (where.startsWith('node_modules/')) groups.dependencies += us;
    else groups.node += us;
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fnTimes.set(fn, (fnTimes.get(fn) ?? 0) + us);
    fileTimes.set(where, (fileTimes.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / busyUs]);
  for (const k of Object.keys(groups) as Array<keyof typeof groups>) groups[k] /= busyUs;
  return { totalUs, busyUs, groups, byFile: share(fileTimes), byFunction: share(fnTimes) };
}

export function readProfile(file: string): Profile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
}

const pct = (x: number): string => `${(100 * x).toFixed(1).padStart(5)} %`;

/** One line: the busy time's split by group. */
export function groupLine(s: ProfileSummary): string {
  const g = s.groups;
  return `router code (router/, common/) ${pct(g.paas).trim()} · dependencies ${pct(g.dependencies).trim()} · Node's JS ${pct(g.node).trim()}`
    + ` · native (system calls, TLS, parsers) ${pct(g.native).trim()} · GC ${pct(g.gc).trim()} of ${(s.busyUs / 1e6).toFixed(1)} s busy`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const file = args.positionals[0];
  if (!file) {
    console.error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const top = Number(flag(args, 'top') ?? 40);
  const s = summarize(readProfile(file));
  console.log(`${file}: ${(s.totalUs / 1e6).toFixed(1)} s sampled, ${(s.busyUs / 1e6).toFixed(1)} s busy (shares below are of busy time)`);
  console.log(groupLine(s));
  for (const [title, rows] of [['self time by file', s.byFile], ['self time by function', s.byFunction]] as const) {
    console.log(`\n${title}`);
    for (const [k, share] of rows.slice(0, top)) console.log(`${pct(share)}  ${k}`);
  }
}
