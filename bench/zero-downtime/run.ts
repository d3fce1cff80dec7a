// Zero-downtime bench: constant HTTP load through the router while the app is deployed 20
// times (git push of a one-line change), scaled 10 times (web between 1 and 3) and restarted
// 5 times (rolling). Prints, for a quiet baseline and for the changes: requests, non-2xx
// answers, socket errors and p50/p99 latency. The goal is zero failed requests.
//   node bench/zero-downtime/run.ts [--rate 200] [--lanes 8] [--post-every 4] [--baseline 15]
//                                   [--deploys 20] [--scales 10] [--restarts 5] [--scheduler swarm]
// --scheduler swarm runs it again on a 3-node Docker Swarm (test/helpers/swarm-cluster.ts: the
// host's engine and two engines in containers) and prints both reports.
// Every 4th request is a POST (never retried by the router), so a clean result does not rest
// on the router's retry of idempotent requests; the router's own retries are counted too.
// A whole platform runs in this process (test/helpers/platform.ts) with its own data dir,
// ports, Redis prefix and Docker label (paasbench); everything it made is removed at the end.
// Needs dockerd, Redis and the registry (npm start / bin/setup services); loopback only.
import fs from 'node:fs';
import path from 'node:path';
import { flag, parseArgs } from '../../cli/args.ts';
import { commitFiles, run, tempDir, userEnv } from '../../test/helpers/git.ts';
import { startTestPlatform, type TestPlatform } from '../../test/helpers/platform.ts';
import { startSwarmCluster } from '../../test/helpers/swarm-cluster.ts';
import Dockerode from 'dockerode';
import { loadConfig } from '../../common/config.ts';
import type { PhaseStats } from './load.ts';
import { startLoadProcess } from './load-process.ts';

const args = parseArgs(process.argv.slice(2));
const num = (name: string, fallback: number): number => Number(flag(args, name) ?? fallback);
const RATE = num('rate', 200);
const LANES = num('lanes', 8);
const POST_EVERY = num('post-every', 4);
const BASELINE_S = num('baseline', 15);
const DEPLOYS = num('deploys', 20);
const SCALES = num('scales', 10);
const RESTARTS = num('restarts', 5);
/** --scheduler swarm: the same run again on a 3-node Docker Swarm, reported beside docker's. */
const WITH_SWARM = flag(args, 'scheduler') === 'swarm';

/** The app: answers its release after 0-20 ms (so that cutovers have requests in flight) and
 *  /up for the health check. It does nothing on SIGTERM: Node's default is to exit at once. */
const server = (version: number): string => [
  "const http = require('http');",
  `const VERSION = 'v${version}';`,
  'http.createServer((req, res) => {',
  "  if (req.url === '/up') return res.end('ok');",
  '  setTimeout(() => res.end(VERSION + "\\n"), Math.floor(Math.random() * 20));',
  '}).listen(process.env.PORT);',
  '',
].join('\n');

type Op = { kind: 'deploy'; version: number } | { kind: 'scale'; quantity: number } | { kind: 'restart' };

/** Deploys, with a scale change after every 2nd deploy and a rolling restart after every 4th. */
function plan(): Op[] {
  const ops: Op[] = [];
  const targets = [2, 3, 1, 3, 2, 1, 2, 3, 1, 2]; // each one a change from the one before (start: 1)
  let scales = 0;
  let restarts = 0;
  for (let d = 1; d <= DEPLOYS; d++) {
    ops.push({ kind: 'deploy', version: d + 1 });
    if (d % 2 === 0 && scales < SCALES) ops.push({ kind: 'scale', quantity: targets[scales++ % targets.length] });
    if (d % 4 === 0 && restarts < RESTARTS) { ops.push({ kind: 'restart' }); restarts++; }
  }
  while (scales < SCALES) ops.push({ kind: 'scale', quantity: targets[scales++ % targets.length] });
  while (restarts++ < RESTARTS) ops.push({ kind: 'restart' });
  return ops;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(name: string, s: PhaseStats): string[] {
  const lat = s.latenciesMs.toSorted((a, b) => a - b);
  const non2xx = Object.values(s.non2xx).reduce((a, b) => a + b, 0);
  const errors = Object.values(s.socketErrors).reduce((a, b) => a + b, 0);
  const detail = (r: Record<string, number>): string => (Object.keys(r).length ? ` (${Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ')})` : '');
  const lines = [
    `${name}: ${(s.durationMs / 1000).toFixed(1)} s, ${s.requests} requests (${(s.requests / (s.durationMs / 1000)).toFixed(0)}/s)`,
    `  ${s.requests - s.posts} GET + ${s.posts} POST; 2xx ${s.ok}, non-2xx ${non2xx}${detail(s.non2xx)}, socket errors ${errors}${detail(s.socketErrors)}`,
    `  latency p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${(lat.at(-1) ?? NaN).toFixed(1)} ms`,
    `  releases that answered: ${Object.keys(s.bodies).length}`,
  ];
  for (const f of s.failures) lines.push(`  failure ${f}`);
  return lines;
}

/** The router (in this process) logs every upstream failure, retried or not. */
const routerNotes: string[] = [];
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  const line = args.map(String).join(' ');
  if (line.startsWith('router:')) routerNotes.push(line);
  consoleError(...args);
};

/** The whole bench on one platform; resolves with its report and its failed requests. */
async function runOn(scheduler: 'docker' | 'swarm'): Promise<{ lines: string[]; failed: number }> {
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;
  const say = (line: string): void => console.log(`[${elapsed()}] ${line}`);
  routerNotes.length = 0;
  const p: TestPlatform = await startTestPlatform({ label: 'paasbench', bootTimeout: 60, scheduler });
  const home = tempDir('paas-zdt-home-');
  const root = tempDir('paas-zdt-app-');
  let load: Awaited<ReturnType<typeof startLoadProcess>> | null = null;
  try {
    const env = userEnv(home);
    const app = `zdt-${scheduler}-${process.pid}`;
    const created = await p.api('POST', '/apps', { name: app });
    if (created.status !== 201) throw new Error(`apps:create: ${JSON.stringify(created.body)}`);
    // Health check on /up: the app's deploy checks (paas checks:set), through the API.
    const checks = await p.api('PATCH', `/apps/${app}/checks`, { health_check_path: '/up' });
    if (checks.status !== 200) throw new Error(`checks:set: ${JSON.stringify(checks.body)}`);
    fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login bench password ${p.adminToken}\n`, { mode: 0o600 });
    const gitUrl = `${p.controller.url}/${app}.git`;
    const push = async (version: number): Promise<void> => {
      await commitFiles(root, { 'server.js': server(version) }, `v${version}`, env);
      const r = await run('git', ['push', gitUrl, 'master'], { cwd: root, env });
      if (r.code !== 0) throw new Error(`git push of v${version} failed:\n${r.stderr}`);
    };
    await commitFiles(root, { 'package.json': JSON.stringify({ name: 'zdt', version: '1.0.0' }), 'Procfile': 'web: node server.js\n' }, 'app', env);
    await push(1);
    say(`deployed v1 of ${app}; load: ${RATE} req/s over ${LANES} keep-alive connections through the router (every ${POST_EVERY}th a POST)`);

    load = await startLoadProcess({ port: p.routerPort, host: `${app}.${p.config.domain}`, rate: RATE, lanes: LANES, timeoutMs: 30_000, postEvery: POST_EVERY });
    load.send({ type: 'phase', name: 'warm-up' });
    await new Promise((r) => setTimeout(r, 2000));
    load.send({ type: 'phase', name: 'baseline' });
    say(`baseline: ${BASELINE_S} s without changes`);
    await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
    load.send({ type: 'phase', name: 'changes' });
    const ops = plan();
    say(`changes: ${ops.length} operations (${DEPLOYS} deploys, ${SCALES} scale changes, ${RESTARTS} rolling restarts)`);
    const took: Record<Op['kind'], number[]> = { deploy: [], scale: [], restart: [] };
    for (const op of ops) {
      const t0 = performance.now();
      if (op.kind === 'deploy') {
        await push(op.version);
      } else if (op.kind === 'scale') {
        const r = await p.api('PATCH', `/apps/${app}/formation/web`, { quantity: op.quantity });
        if (r.status !== 200) throw new Error(`scale to ${op.quantity}: ${r.status} ${JSON.stringify(r.body)}`);
      } else {
        const r = await p.api<{ restarted: string[] }>('DELETE', `/apps/${app}/dynos`);
        if (r.status !== 200) throw new Error(`restart: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const ms = performance.now() - t0;
      took[op.kind].push(ms);
      const what = op.kind === 'deploy' ? `deploy v${op.version}` : op.kind === 'scale' ? `scale web=${op.quantity}` : 'rolling restart';
      say(`${what} done in ${(ms / 1000).toFixed(1)} s`);
    }
    load.send({ type: 'phase', name: 'cool-down' });
    await new Promise((r) => setTimeout(r, 1000));
    const phases = await load.stats();
    load = null;

    const dynos = await p.api<Array<{ name: string; state: string; release: { version: number } }>>('GET', `/apps/${app}/dynos`);
    const lines = [
      '',
      `Zero-downtime bench, ${new Date().toISOString()}: ${RATE} req/s, ${LANES} keep-alive connections, GET and POST / through the router`,
      ...report('baseline (no changes)', phases.baseline),
      ...report(`during changes (${DEPLOYS} deploys, ${SCALES} scale changes, ${RESTARTS} rolling restarts)`, phases.changes),
      `operations: ${Object.entries(took).map(([k, v]) => `${k} ${v.length}× median ${(v.toSorted((a, b) => a - b)[Math.floor(v.length / 2)] / 1000).toFixed(1)} s`).join(', ')}`,
      `router upstream failures (retried or not): ${routerNotes.length}`,
      `after: ${dynos.body.map((d) => `${d.name} ${d.state} v${d.release.version}`).join(', ')}`,
    ];
    const failed = (s: PhaseStats): number => s.requests - s.ok;
    const total = failed(phases.baseline) + failed(phases.changes) + failed(phases['warm-up']) + failed(phases['cool-down']);
    lines.push(total === 0 ? 'RESULT: zero failed requests' : `RESULT: ${total} failed requests`);
    lines.push(`total time ${elapsed().trim()}`);
    return { lines, failed: total };
  } finally {
    if (load) load.child.kill();
    await p.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs: Array<{ name: string; lines: string[]; failed: number }> = [{ name: 'docker', ...(await runOn('docker')) }];
  if (WITH_SWARM) {
    // A 3-node swarm (the host engine as manager, two engines in containers), removed after.
    const cluster = await startSwarmCluster({ docker: new Dockerode(), workers: 2, registry: loadConfig().registry, baseImage: loadConfig().stackBuildImage });
    try {
      runs.push({ name: 'swarm (3 nodes)', ...(await runOn('swarm')) });
    } finally {
      await cluster.stop();
    }
  }
  for (const r of runs) console.log([`\n##### scheduler: ${r.name}`, ...r.lines].join('\n'));
  if (runs.length > 1) console.log(`\n${runs.map((r) => `${r.name}: ${r.failed} failed requests`).join('; ')}`);
  if (runs.some((r) => r.failed !== 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
