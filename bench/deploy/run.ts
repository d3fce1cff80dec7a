// Deploy benchmark: `git push` of a small Node.js app (one vendored dependency, a lockfile) to a
// whole platform on real Docker, until the router serves the new release. A first deploy (the
// app's build cache and registry repository empty) and redeploys after a one-line change, each
// broken down from the timestamps of the push's `remote:` lines and Docker's container events:
//   receive  push starts -> the build starts (pack upload, pre-receive hook, source tar, queue)
//   build    -> "Pushing" (build container, buildpacks, image assembly)
//   push     -> "Done" (image push to the registry)
//   release  -> "Releasing" (release record, registry retag, release phase)
//   start    -> the new container starts (pull, create)
//   health   -> "web.1 is up" (the app answers HTTP)
//   cutover  -> the router serves the new release (route switch through Redis)
//   finish   -> the push returns (old release retired)
//   node bench/deploy/run.ts [--warm 3] [--verbose] [--scheduler swarm]
// With --scheduler swarm the same deploys run again on a 3-node Docker Swarm (the host's engine
// and two engines in containers, test/helpers/swarm-cluster.ts); both tables are printed.
// On swarm, "start" is from the release to the task running on its node (the health check
// follows); the container start event is the manager's only, so start+health are one figure.
// Needs dockerd, Redis and the registry (npm start / bin/setup services); loopback only.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { flag, parseArgs } from '../../cli/args.ts';
import { commitFiles, run, tempDir, userEnv } from '../../test/helpers/git.ts';
import { startTestPlatform, type TestPlatform } from '../../test/helpers/platform.ts';
import { startSwarmCluster } from '../../test/helpers/swarm-cluster.ts';
import Dockerode from 'dockerode';
import { loadConfig } from '../../common/config.ts';

const args = parseArgs(process.argv.slice(2));
const warmRuns = Number(flag(args, 'warm') ?? 3);
const verbose = args.flags.verbose === true;
/** --scheduler swarm: the same deploys on a 3-node swarm too, printed beside the docker ones. */
const withSwarm = flag(args, 'scheduler') === 'swarm';
const PHASES = ['receive', 'build', 'push', 'release', 'start', 'health', 'cutover', 'finish'] as const;
type Phase = (typeof PHASES)[number];
interface Sample { label: string; total: number; serving: number; phases: Record<Phase, number> }

const server = (version: string): string =>
  `const greet = require('greet');\nrequire('http').createServer((q, s) => s.end(greet(${JSON.stringify(version)}))).listen(process.env.PORT);\n`;

/** The app: package.json, a lockfile and its one dependency as a vendored npm tarball. */
async function appFiles(dir: string): Promise<Record<string, string>> {
  const pkg = path.join(dir, 'pkg');
  fs.mkdirSync(path.join(pkg, 'package'), { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package', 'package.json'), JSON.stringify({ name: 'greet', version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'package', 'index.js'), "module.exports = (v) => 'hello from ' + v + '\\n';\n");
  const tgz = path.join(dir, 'app', 'vendor', 'greet-1.0.0.tgz');
  fs.mkdirSync(path.dirname(tgz), { recursive: true });
  await run('tar', ['-czf', tgz, '-C', pkg, 'package']);
  const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')}`;
  const dep = 'file:vendor/greet-1.0.0.tgz';
  return {
    'package.json': JSON.stringify({ name: 'bench', version: '1.0.0', dependencies: { greet: dep }, scripts: { start: 'node server.js' } }),
    'package-lock.json': JSON.stringify({
      name: 'bench', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: { '': { name: 'bench', version: '1.0.0', dependencies: { greet: dep } }, 'node_modules/greet': { version: '1.0.0', resolved: dep, integrity } },
    }),
  };
}

/** Pushes and times it: every remote line with its time, container starts, first new answer. */
async function deploy(p: TestPlatform, app: string, dir: string, env: NodeJS.ProcessEnv, label: string, expected: string): Promise<Sample> {
  const t0 = performance.now();
  const at: Partial<Record<string, number>> = {};
  const mark = (key: string): void => { at[key] ??= performance.now() - t0; };
  const events = await p.docker.getEvents({ filters: { type: ['container'], event: ['start'], label: [`${p.config.label}.app=${app}`, `${p.config.label}.dyno`] } });
  events.on('data', () => mark('started'));
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await p.viaRouter(app).catch(() => null);
      if (res?.status === 200 && res.body === expected) { mark('serving'); return; }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const child = spawn('git', ['push', `${p.controller.url}/${app}.git`, 'master'], { cwd: dir, env });
  let pending = '';
  const lines: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split(/\r?\n|\r/);
    pending = parts.pop() ?? '';
    for (const line of parts) {
      const ms = performance.now() - t0;
      lines.push(`${(ms / 1000).toFixed(3).padStart(7)}  ${line}`);
      if (/remote: -----> Building /.test(line)) mark('building');
      else if (/remote: -----> Pushing /.test(line)) mark('pushing');
      else if (/remote: -----> Done in /.test(line)) mark('pushed');
      else if (/remote: -----> Releasing v/.test(line)) mark('releasing');
      else if (/remote: +web\.1 is up/.test(line)) mark('up');
    }
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  mark('done');
  await Promise.race([poller, new Promise((r) => setTimeout(r, 5000))]);
  polling = false;
  (events as unknown as { destroy(): void }).destroy();
  if (verbose || code !== 0) console.log(lines.join('\n'));
  if (code !== 0) throw new Error(`git push failed (${code})`);
  // A swarm task on a worker node starts no container on this engine: start and health are one.
  if (at.started === undefined && at.up !== undefined) at.started = at.up;
  const need = ['building', 'pushing', 'pushed', 'releasing', 'started', 'up', 'serving', 'done'];
  for (const key of need) if (at[key] === undefined) throw new Error(`no "${key}" mark in the push of ${label}`);
  const t = at as Record<string, number>;
  const phases: Record<Phase, number> = {
    receive: t.building,
    build: t.pushing - t.building,
    push: t.pushed - t.pushing,
    release: t.releasing - t.pushed,
    start: t.started - t.releasing,
    health: t.up - t.started,
    cutover: t.serving - t.up,
    finish: Math.max(0, t.done - t.serving),
  };
  return { label, total: t.done, serving: t.serving, phases };
}

function table(samples: Sample[]): string {
  const cols = ['', ...PHASES, 'serving', 'push exits'];
  const rows = samples.map((s) => [s.label, ...PHASES.map((ph) => s.phases[ph]), s.serving, s.total].map((v) => (typeof v === 'number' ? (v / 1000).toFixed(2) : v)));
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r: Array<string | number>): string => r.map((v, i) => (i === 0 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ');
  return [fmt(cols), ...rows.map(fmt)].join('\n');
}

/** The samples of one platform: a cold deploy, then warm ones. */
async function runOn(scheduler: 'docker' | 'swarm', warmNodes?: (image: string) => Promise<void>): Promise<Sample[]> {
  const p = await startTestPlatform({ scheduler });
  try {
    const env = userEnv(tempDir('paas-bench-home-'));
    const app = `bench-${scheduler}-${process.pid}`;
    const created = await p.api('POST', '/apps', { name: app });
    if (created.status !== 201) throw new Error(`apps:create: ${JSON.stringify(created.body)}`);
    fs.writeFileSync(path.join(env.HOME as string, '.netrc'), `machine 127.0.0.1 login bench password ${p.adminToken}\n`, { mode: 0o600 });
    const root = tempDir('paas-bench-');
    const dir = path.join(root, 'app');
    const files = await appFiles(root);
    await commitFiles(dir, { ...files, 'server.js': server('v1') }, 'v1', env);
    const samples = [await deploy(p, app, dir, env, `${scheduler}: cold (first deploy)`, 'hello from v1\n')];
    // Warm deploys on a cluster: every node has the app's base layers (as after its first dynos).
    if (warmNodes) await warmNodes(`${p.config.registry}/${app}:v1`);
    for (let i = 2; i <= warmRuns + 1; i++) {
      await commitFiles(dir, { 'server.js': server(`v${i}`) }, `v${i}`, env);
      samples.push(await deploy(p, app, dir, env, `${scheduler}: warm #${i - 1} (one-line change)`, `hello from v${i}\n`));
    }
    return samples;
  } finally {
    await p.stop();
  }
}

function summary(scheduler: string, samples: Sample[], warmGoalS: number): string {
  const warm = samples.slice(1).map((s) => s.serving).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)] ?? NaN;
  return `${scheduler}: cold ${(samples[0].serving / 1000).toFixed(2)} s (goal < 20 s); warm median ${(median / 1000).toFixed(2)} s (goal < ${warmGoalS} s)`;
}

async function main(): Promise<void> {
  const docker = await runOn('docker');
  let swarm: Sample[] | null = null;
  if (withSwarm) {
    // A 3-node swarm (the host engine as manager, two engines in containers), removed after.
    const engine = new Dockerode();
    const cluster = await startSwarmCluster({ docker: engine, workers: 2, registry: loadConfig().registry, baseImage: loadConfig().stackBuildImage });
    try {
      swarm = await runOn('swarm', (image) => cluster.pullOnWorkers(image, loadConfig().registryAuth));
    } finally {
      await cluster.stop();
    }
  }
  console.log(`Deploy benchmark: git push -> new release served by the router (seconds), ${new Date().toISOString()}`);
  console.log(table([...docker, ...(swarm ?? [])]));
  console.log(summary('docker', docker, 5));
  if (swarm) console.log(summary('swarm (3 nodes)', swarm, 8));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
