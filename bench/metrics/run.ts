// Cost of the metrics: (1) the dyno collector's CPU per 10 s sample with many running dynos
// (real containers, cgroup reads, Redis writes), as % of one core; (2) the router's requests/s
// without and with the per-minute history recorder (router/minute-metrics.ts), the same router
// code and backend, measured alternately in the same run (wrk, keep-alive, /small).
// Usage: node bench/metrics/run.ts [--dynos 50] [--seconds 5] [--rounds 3] [--router-only]
// Needs Docker (paas/busybox:test), wrk, Redis at PAAS_REDIS_URL; loopback only.
import { execFile, execFileSync, fork } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../common/config.ts';
import { deleteRings } from '../../common/metrics-ring.ts';
import { dynoUsageKey } from '../../common/redis-keys.ts';
import { startDynoMetrics } from '../../controller/services/dyno-metrics.ts';
import type { Dyno } from '../../controller/scheduler/types.ts';
import { startRouter } from '../../router/index.ts';
import { startMinuteRecorder } from '../../router/minute-metrics.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DYNOS = arg('dynos', 50);
const SKIP_DYNOS = process.argv.includes('--router-only');
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const base = loadConfig();
const config = { ...base, routerPort: 0, redisPrefix: `paastest-bench-metrics-${process.pid}` };
const redis = new Redis(config.redisUrl);
const containers: string[] = [];

async function collectorCost(): Promise<void> {
  console.error(`bench: starting ${DYNOS} containers`);
  for (let i = 0; i < DYNOS; i++) {
    containers.push(execFileSync('docker', ['run', '-d', '--label', 'paastest', '-m', '32m', 'paas/busybox:test', 'sleep', '3600'], { encoding: 'utf8' }).trim());
  }
  const dynos: Dyno[] = containers.map((id, i) => ({
    app: `app${i % 10}`, name: `web.${i + 1}`, type: 'web', release: 1, state: 'up', host: null, port: null, startedAt: null, id, node: null,
  }));
  const collector = startDynoMetrics({ scheduler: { list: async () => dynos }, redis, prefix: config.redisPrefix, intervalMs: 3600_000, log: console.error });
  await collector.sample(); // warm-up (first reading, JIT)
  const samples = 10;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < samples; i++) await collector.sample();
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const cpuMsPerSample = (used.user + used.system) / 1000 / samples;
  const measured = [...collector.latest('app0').values()].filter((u) => u.memory !== null).length;
  collector.close();
  console.log(`collector: ${DYNOS} dynos, ${cpuMsPerSample.toFixed(1)} ms CPU and ${(wall / samples).toFixed(1)} ms wall per sample`
    + ` -> ${(cpuMsPerSample / 10_000 * 100).toFixed(2)} % of one core at one sample per 10 s (goal < 2 %); app0 dynos with memory read: ${measured}`);
}

function wrk(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c32', `-d${SECONDS}s`, '-H', 'Host: bench.localhost', `http://127.0.0.1:${port}/small`], (err, stdout) => {
      if (err) return reject(err);
      const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (!m) return reject(new Error(`no Requests/sec in wrk output: ${stdout}`));
      resolve(Number(m[1]));
    });
  });
}

async function routerOverhead(): Promise<void> {
  const backend = fork(path.join(import.meta.dirname, '../router/backend.ts'), ['0'], { stdio: 'inherit' });
  const backendPort = await new Promise<number>((resolve) => backend.once('message', (m: { port: number }) => resolve(m.port)));
  const recorder = startMinuteRecorder({ redis, prefix: config.redisPrefix, log: console.error });
  const table = { version: 1, apps: [{ app: 'bench', hosts: ['bench.localhost'], backends: [{ dyno: 'web.1', host: '127.0.0.1', port: backendPort, release: 1 }], maintenance: false }] };
  const off = await startRouter({ config, redis, log: () => undefined });
  const on = await startRouter({ config, redis, log: () => undefined, onAccess: recorder.record });
  off.apply(table);
  on.apply(table);
  await wrk(off.port);
  await wrk(on.port); // warm-up both
  const results = { off: [] as number[], on: [] as number[], ratio: [] as number[] };
  let offCpuUs = 0;
  let offRequests = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = process.cpuUsage();
    const rps = await wrk(off.port);
    const cpu = process.cpuUsage(cpu0);
    offCpuUs += cpu.user + cpu.system;
    offRequests += rps * SECONDS;
    results.off.push(rps);
    results.on.push(await wrk(on.port));
    results.ratio.push(results.on[r] / rps);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`router req/s (wrk -c32, ${SECONDS} s x ${ROUNDS} rounds, off then on each round): off ${results.off.map((x) => x.toFixed(0)).join(' ')}`
    + ` | on ${results.on.map((x) => x.toFixed(0)).join(' ')}; median on/off ratio ${median(results.ratio).toFixed(3)} (noisy on a shared 2-core machine)`);
  // The noise-free view: the recorder's CPU per request against the router's CPU per request.
  const perRequestUs = offCpuUs / offRequests;
  const probe = startMinuteRecorder({ redis, prefix: `${config.redisPrefix}-probe`, flushMs: 3600_000, log: console.error });
  const entry = { app: 'bench', dyno: 'web.1', method: 'GET', path: '/small', status: 200, bytes: 12, durationMs: 1.3, requestId: 'x'.repeat(36) };
  const calls = 1_000_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) probe.record(entry);
  const t = process.cpuUsage(t0);
  const recordUs = (t.user + t.system) / calls;
  await probe.close();
  await deleteRings(redis, `${config.redisPrefix}-probe`, 'bench');
  console.log(`router CPU per request (history off) ${perRequestUs.toFixed(1)} us; history record() ${(recordUs * 1000).toFixed(0)} ns per request`
    + ` -> ${((recordUs / perRequestUs) * 100).toFixed(2)} % more CPU per request (goal < 3 % of req/s)`);
  await Promise.all([off.close(), on.close(), recorder.close()]);
  backend.kill();
  await deleteRings(redis, config.redisPrefix, 'bench');
}

try {
  if (!SKIP_DYNOS) await collectorCost();
  await routerOverhead();
} finally {
  if (containers.length) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
  for (let i = 0; i < 10; i++) await deleteRings(redis, config.redisPrefix, `app${i}`);
  await redis.del(dynoUsageKey(config.redisPrefix));
  redis.disconnect();
}
