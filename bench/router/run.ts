// Router benchmark: a tiny backend measured directly (the limit), through our router, through
// nginx as a plain reverse proxy (upstream keep-alive, same worker count) and through Node's
// floor (floor.ts: bytes passed between paired connections, no HTTP work; one process), with the
// same wrk settings, over HTTP and HTTPS, for 12-byte and 64 KiB responses.
//   node bench/router/run.ts [--workers N] [--duration 8] [--connections 32] [--profile DIR]
//     [--only direct|router|nginx|floor]
//     [--proto http|https] [--size small|big]   (one case only, e.g. to profile it alone)
//     [--bare]            (without the access log and minute history that paas-router writes)
//     [--baseline DIR]    (also measure the router of another checkout, as "before", in the same run)
//     [--rounds N]        (measure every target N times, interleaved, and report each figure's median)
//     [--pin]             (wrk and the backend on CPU 0, the proxy measured on the others: taskset)
//     [--browser]         (each request carries a browser's headers: wrk.ts BROWSER_HEADERS)
//     [--dyno-path]       (instead: from the router to a dyno in a container, at its address or
//                          through a published port; dyno-path.ts)
// --profile prints, per router worker, the split of its busy time: the router's own code,
// dependencies, Node's JavaScript, native work (system calls, TLS, parsers) and GC
// (profile-summary.ts gives the details by file and function).
// Needs wrk and nginx (apt-get install -y wrk nginx), Redis at PAAS_REDIS_URL; loopback only.
// Besides req/s it reports the proxy's CPU time per request (from /proc, all its processes):
// on a shared 2-CPU machine req/s swings with other load, CPU per request much less.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseArgs, flag } from '../../cli/args.ts';
import { loadConfig } from '../../common/config.ts';
import { routeTableKey } from '../../common/redis-keys.ts';
import { makeCertificate } from '../../common/x509.ts';
import { startRouterCluster } from '../../router/cluster.ts';
import { errorMessage } from '../../common/errors.ts';
import { groupLine, readProfile, summarize } from './profile-summary.ts';
import { BROWSER_HEADERS, childPids, measureUrl, mergeRounds, pinTree, type Pinning } from './wrk.ts';

const args = parseArgs(process.argv.slice(2));
const workers = Number(flag(args, 'workers') ?? 1);
const duration = Number(flag(args, 'duration') ?? 8);
const connections = Number(flag(args, 'connections') ?? 32);
const profileDir = flag(args, 'profile');
const only = flag(args, 'only');
const onlyProto = flag(args, 'proto');
const onlySize = flag(args, 'size');
const bare = args.flags.bare !== undefined;
const baseline = flag(args, 'baseline');
const rounds = Number(flag(args, 'rounds') ?? 1);
const browser = args.flags.browser !== undefined;
const cpus = os.availableParallelism();
const pin: Pinning | null = args.flags.pin === undefined ? null : { load: '0', proxy: cpus > 2 ? `1-${cpus - 1}` : '1' };
if (pin && cpus < 2) throw new Error('--pin needs two CPUs at least');
const HOST = 'app.bench.test';
const here = path.dirname(fileURLToPath(import.meta.url));

interface Result { name: string; proto: string; size: string; rps: number; p50: number; p99: number; errors: string; cpuUs: number | null; redisUs: number | null }

/** CPU time (µs) Redis has used so far (INFO cpu: all its threads, any client's work). */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

/**
 * Runs wrk on /small and /big; `pids` (when known) are the proxy's processes, for CPU per
 * request. With `redis` (the router's runs), Redis's CPU per request is reported too: the access
 * lines and minute counts the router writes cost Redis this much (on this machine's CPUs).
 */
async function measure(name: string, proto: string, base: string, results: Result[], pids: () => number[] = () => [], redis: Redis | null = null): Promise<void> {
  if (onlyProto && onlyProto !== proto) return;
  for (const size of ['small', 'big']) {
    if (onlySize && onlySize !== size) continue;
    const { otherUs: redisCpu, stealPct, ...r } = await measureUrl(`${base}/${size}`, duration, connections, HOST, pids, {
      otherCpuUs: redis === null ? undefined : () => redisCpuUs(redis), pin: name === 'direct' ? null : pin, headers: browser ? BROWSER_HEADERS : [],
    });
    results.push({ name, proto, size: size === 'small' ? '12 B' : '64 KiB', ...r, redisUs: redisCpu });
    console.error(`  ${name.padEnd(7)} ${proto.padEnd(5)} ${size.padEnd(5)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${r.cpuUs === null ? '' : `  ${r.cpuUs.toFixed(0)} µs CPU/req`}${redisCpu === null ? '' : `  Redis ${redisCpu.toFixed(1)} µs/req`}  steal ${stealPct.toFixed(1)} % ${r.errors}`);
  }
}

function nginxConfig(dir: string, backendPort: number, httpPort: number, httpsPort: number): string {
  return `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${httpPort};
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering on;
    }
  }
}
`;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-'));
  const pair = await makeCertificate({ hosts: ['*.bench.test'] });
  fs.writeFileSync(path.join(dir, 'cert.pem'), pair.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), pair.key);
  const children: ChildProcess[] = [];
  const results: Result[] = [];
  const prefix = `paasbench-${process.pid}`;
  const redis = new Redis(loadConfig().redisUrl);
  let stopRouter = null as (() => Promise<void>) | null; // set while a router runs (in measureRouter)
  try {
    const backend = fork(path.join(here, 'backend.ts'), ['0'], { stdio: 'inherit' });
    children.push(backend);
    const backendPort = await new Promise<number>((resolve) => backend.once('message', (m: { port: number }) => resolve(m.port)));
    if (pin && backend.pid !== undefined) pinTree([backend.pid], pin.load);
    console.error(`bench: wrk -t1 -c${connections} -d${duration}s, ${workers} worker process(es) for router and nginx, ${cpus} CPUs${pin ? `; wrk and the backend on CPU ${pin.load}, the proxy on ${pin.proxy}` : ''}`);

    let floorPorts: { http: number; https: number } | null = null;
    let floorPids = (): number[] => [];
    if (!only || only === 'floor') {
      const floor = fork(path.join(here, 'floor.ts'), [String(backendPort), path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')], { stdio: 'inherit' });
      children.push(floor);
      floorPorts = await new Promise<{ http: number; https: number }>((resolve) => floor.once('message', resolve));
      floorPids = () => (floor.pid === undefined ? [] : [floor.pid]);
    }

    let nginxPorts: [number, number] | null = null;
    let nginxPids = (): number[] => [];
    if (!only || only === 'nginx') {
      nginxPorts = [await freePort(), await freePort()];
      fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, backendPort, ...nginxPorts));
      const nginx = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: 'inherit' });
      children.push(nginx);
      await new Promise((r) => setTimeout(r, 500));
      nginxPids = () => (nginx.pid === undefined ? [] : [nginx.pid]);
    }

    const measureRouter = async (name: string, start: typeof startRouterCluster): Promise<void> => {
      await redis.set(routeTableKey(prefix), JSON.stringify({ version: 1, apps: [{ app: 'app', hosts: [HOST], backends: [{ dyno: 'web.1', host: '127.0.0.1', port: backendPort, release: 1 }], maintenance: false }] }));
      const config = { ...loadConfig(), routerPort: 0, redisPrefix: prefix };
      const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
      const profilesBefore = profileDir && fs.existsSync(profileDir) ? new Set(fs.readdirSync(profileDir)) : new Set<string>();
      // As paas-router runs it (router/serve.ts): an access line per request to the app's log and
      // the per-minute history; --bare leaves both out (the router's proxying alone).
      const router = await start({
        config, workers, tls: { port: 0, defaultCert: pair }, execArgv, log: (l) => console.error(`${name}: ${l}`), accessLog: !bare, history: !bare,
      });
      stopRouter = () => router.close();
      const workerPids = () => childPids(children.map((c) => c.pid));
      await measure(name, 'http', `http://127.0.0.1:${router.port}`, results, workerPids, redis);
      await measure(name, 'https', `https://127.0.0.1:${router.httpsPort}`, results, workerPids, redis);
      await router.close();
      stopRouter = null;
      if (profileDir) { // the workers write their profiles as they exit
        for (const f of fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && !profilesBefore.has(f))) {
          console.error(`  ${name} profile ${path.join(profileDir, f)}:\n    ${groupLine(summarize(readProfile(path.join(profileDir, f))))}`);
        }
      }
    };
    // The router of another checkout (e.g. `git worktree add /tmp/before <commit>`), measured in
    // the same run: before/after figures under the same load.
    const before = baseline && (!only || only === 'router')
      ? (await import(path.resolve(baseline, 'router/cluster.ts')) as { startRouterCluster: typeof startRouterCluster }).startRouterCluster
      : null;
    // Rounds interleave the targets, so that a burst of other load on the machine hits one
    // round's figures, not all of one target's.
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) console.error(`bench: round ${round} of ${rounds}`);
      if (!only || only === 'direct') await measure('direct', 'http', `http://127.0.0.1:${backendPort}`, results, () => (backend.pid === undefined ? [] : [backend.pid]));
      if (before) await measureRouter('before', before);
      if (!only || only === 'router') await measureRouter('router', startRouterCluster);
      if (nginxPorts) {
        await measure('nginx', 'http', `http://127.0.0.1:${nginxPorts[0]}`, results, nginxPids);
        await measure('nginx', 'https', `https://127.0.0.1:${nginxPorts[1]}`, results, nginxPids);
      }
      if (floorPorts) {
        await measure('floor', 'http', `http://127.0.0.1:${floorPorts.http}`, results, floorPids);
        await measure('floor', 'https', `https://127.0.0.1:${floorPorts.https}`, results, floorPids);
      }
    }
    report(medians(results));
  } finally {
    await stopRouter?.();
    for (const c of children) c.kill();
    // The route table, and the app log and minute history the routers wrote.
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.unlink(...keys);
    redis.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One result per target, protocol and size: the median of each figure over the rounds. */
function medians(results: Result[]): Result[] {
  return mergeRounds(results, (r) => `${r.name} ${r.proto} ${r.size}`, ['rps', 'p50', 'p99', 'cpuUs', 'redisUs']);
}

function report(results: Result[]): void {
  const find = (name: string, proto: string, size: string) => results.find((r) => r.name === name && r.proto === proto && r.size === size);
  // "CPU over floor": the proxy's CPU per request beyond Node's floor (same protocol and size),
  // the part of it that its own work costs; "CPU/nginx": its CPU per request against nginx's.
  const lines = ['| target | proto | response | req/s | p50 ms | p99 ms | CPU µs/req | CPU over floor µs/req | CPU/nginx | Redis µs/req | router/nginx req/s | router/direct req/s | router p99 − direct p99 |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of results) {
    const nginx = find('nginx', r.proto, r.size);
    const direct = find('direct', 'http', r.size);
    const floor = find('floor', r.proto, r.size);
    const isRouter = r.name === 'router' || r.name === 'before';
    const proxied = isRouter || r.name === 'nginx' || r.name === 'floor';
    const cpuOver = proxied && r.name !== 'floor' && r.cpuUs !== null && floor?.cpuUs != null ? (r.cpuUs - floor.cpuUs).toFixed(0) : '';
    const cpuRatio = proxied && r.name !== 'nginx' && r.cpuUs !== null && nginx?.cpuUs != null ? (r.cpuUs / nginx.cpuUs).toFixed(2) : '';
    lines.push(`| ${r.name} | ${r.proto} | ${r.size} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuUs === null ? '' : r.cpuUs.toFixed(0)} | ${cpuOver} | ${cpuRatio} | ${r.redisUs === null ? '' : r.redisUs.toFixed(1)} | ${isRouter && nginx ? (r.rps / nginx.rps).toFixed(2) : ''} | ${isRouter && direct ? (r.rps / direct.rps).toFixed(2) : ''} | ${isRouter && direct ? `${(r.p99 - direct.p99).toFixed(2)} ms` : ''} |${r.errors ? ` ${r.errors}` : ''}`);
  }
  console.log(lines.join('\n'));
}

// --dyno-path: the router's last hop instead (dyno-path.ts: a dyno in a container, reached at its
// address or through a published port).
(args.flags['dyno-path'] !== undefined ? import('./dyno-path.ts').then(() => undefined) : main()).catch((err: unknown) => {
  console.error(`bench: ${errorMessage(err)}`);
  process.exit(1);
});
