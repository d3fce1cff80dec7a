// The last hop of every request: from the router to a web dyno. The dyno is bench/router/
// backend.ts in a container on a bridge network of its own, as an app's dynos are. The router
// reaches it at its address on that network (what paas does), or through a port Docker publishes
// on 127.0.0.1 (what paas did before: docker-proxy, a userland process, copies every byte both
// ways). Both are measured side by side, straight with wrk and through the router, and the CPU
// time per request of the router's workers plus docker-proxy is reported.
//   npm run bench:router -- --dyno-path [--duration 8] [--connections 32] [--rounds 3]
//   (or node bench/router/dyno-path.ts [...] with the services up)
// Needs dockerd, the stack image (npm start builds it), wrk and Redis; loopback and the
// container it made only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { flag, parseArgs } from '../../cli/args.ts';
import { loadConfig } from '../../common/config.ts';
import { routeTableKey } from '../../common/redis-keys.ts';
import { startRouterCluster } from '../../router/cluster.ts';
import { errorMessage } from '../../common/errors.ts';
import { childPids, measureUrl, mergeRounds } from './wrk.ts';

const args = parseArgs(process.argv.slice(2));
const duration = Number(flag(args, 'duration') ?? 8);
const connections = Number(flag(args, 'connections') ?? 32);
const rounds = Number(flag(args, 'rounds') ?? 3);
const HOST = 'app.bench.test';
const here = path.dirname(fileURLToPath(import.meta.url));

interface Row { target: string; size: string; rps: number; p99: number; cpuUs: number | null; errors: string }

/** docker-proxy's process for a published port (it runs with -host-port N). */
function dockerProxyPid(port: number): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('docker-proxy') && argv[argv.indexOf('-host-port') + 1] === String(port)) return Number(entry);
    } catch { /* exited meanwhile */ }
  }
  throw new Error(`no docker-proxy for port ${port}: is dockerd running with its userland proxy (the default)?`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const redis = new Redis(config.redisUrl);
  const name = `paasbench-dyno-${process.pid}`;
  const prefix = name;
  const network = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { paasbench: '1' } });
  let container: Dockerode.Container | null = null;
  try {
    container = await docker.createContainer({
      name, Image: config.stackImage, User: '1000:1000', Labels: { paasbench: '1' },
      Cmd: ['/usr/local/bin/node', '/bench/backend.ts', '5000', '0.0.0.0'],
      ExposedPorts: { '5000/tcp': {} },
      HostConfig: {
        NetworkMode: name,
        Binds: [`${fs.realpathSync(process.execPath)}:/usr/local/bin/node:ro`, `${here}:/bench:ro`],
        PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    await container.start();
    const info = await container.inspect();
    const address = info.NetworkSettings.Networks[name].IPAddress;
    const published = Number(info.NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort);
    const proxy = dockerProxyPid(published);
    const ways = [
      { name: 'address', host: address, port: 5000 },
      { name: 'docker-proxy', host: '127.0.0.1', port: published },
    ];
    for (let i = 0; ; i++) { // the app listening
      if (i === 100) throw new Error('the container does not answer on port 5000');
      if (await fetch(`http://${address}:5000/small`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.error(`bench: wrk -t1 -c${connections} -d${duration}s, ${rounds} round(s); the dyno at ${address}:5000 and at 127.0.0.1:${published} (docker-proxy pid ${proxy})`);

    const rows: Row[] = [];
    const run = async (target: string, url: string, pids: () => number[]): Promise<void> => {
      for (const size of ['small', 'big']) {
        const r = await measureUrl(`${url}/${size}`, duration, connections, HOST, pids);
        rows.push({ target, size: size === 'small' ? '12 B' : '64 KiB', rps: r.rps, p99: r.p99, cpuUs: r.cpuUs, errors: r.errors });
        console.error(`  ${target.padEnd(24)} ${size.padEnd(5)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99.toFixed(2)} ms${r.cpuUs === null ? '' : `  ${r.cpuUs.toFixed(0)} µs CPU/req`} ${r.errors}`);
      }
    };
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) console.error(`bench: round ${round} of ${rounds}`);
      for (const way of ways) {
        const viaProxy = way.name === 'docker-proxy';
        await run(`dyno at ${way.name}`, `http://${way.host}:${way.port}`, () => (viaProxy ? [proxy] : []));
        // As paas-router runs: its access lines and minute history on.
        await redis.set(routeTableKey(prefix), JSON.stringify({ version: round, apps: [{ app: 'app', hosts: [HOST], backends: [{ dyno: 'web.1', host: way.host, port: way.port, release: 1 }], maintenance: false }] }));
        const router = await startRouterCluster({ config: { ...config, routerPort: 0, redisPrefix: prefix }, workers: 1, log: (l) => console.error(`router: ${l}`), accessLog: true, history: true });
        try {
          await run(`router → ${way.name}`, `http://127.0.0.1:${router.port}`, () => [...childPids([]), ...(viaProxy ? [proxy] : [])]);
        } finally {
          await router.close();
        }
      }
    }
    report(rows);
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.unlink(...keys);
    redis.disconnect();
  }
}

/** The median of each figure per target and size, and the router's way to the dyno compared. */
function report(rows: Row[]): void {
  const merged = mergeRounds(rows, (r) => `${r.target}|${r.size}`, ['rps', 'p99', 'cpuUs']);
  const lines = ['| target | response | req/s | p99 ms | CPU µs/req (router + docker-proxy) |', '|---|---|---:|---:|---:|'];
  for (const r of merged) lines.push(`| ${r.target} | ${r.size} | ${r.rps.toFixed(0)} | ${r.p99.toFixed(2)} | ${r.cpuUs === null ? '' : r.cpuUs.toFixed(0)} |${r.errors ? ` ${r.errors}` : ''}`);
  for (const size of ['12 B', '64 KiB']) {
    const now = merged.find((r) => r.target === 'router → address' && r.size === size);
    const was = merged.find((r) => r.target === 'router → docker-proxy' && r.size === size);
    if (now && was && now.cpuUs !== null && was.cpuUs !== null) {
      lines.push('', `${size}: router → address / router → docker-proxy: req/s ${(now.rps / was.rps).toFixed(2)}×, CPU per request ${(now.cpuUs / was.cpuUs).toFixed(2)}×, p99 ${(now.p99 - was.p99).toFixed(2)} ms`);
    }
  }
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(`bench: ${errorMessage(err)}`);
  process.exit(1);
});
