// Summarises a V8 .cpuprofile (from `run.ts --profile DIR`): self time by function and by
// source file, heaviest first, so the cost of our modules can be told from Node's HTTP stack.
//   node bench/router/profile-summary.ts FILE.cpuprofile [--top 40]
import fs from 'node:fs';
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

const args = parseArgs(process.argv.slice(2));
const file = args.positionals[0];
if (!file) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const top = Number(flag(args, 'top') ?? 40);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/(node_modules|router|bench|common)\//, '$1/').replace(/^node:/, '');
const fnTimes = new Map<string, number>();
const fileTimes = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? shortUrl(url) : '(native)';
  const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
  fnTimes.set(fn, (fnTimes.get(fn) ?? 0) + us);
  fileTimes.set(where, (fileTimes.get(where) ?? 0) + us);
}

const print = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by file', fileTimes);
print('self time by function', fnTimes);
