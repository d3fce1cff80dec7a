// Fault-tolerance bench: a whole platform (router and paasd as separate processes, a private
// Redis with AOF and a private registry) serves two apps under constant HTTP load while faults
// are injected one after another; prints per fault the requests sent meanwhile, the failed ones
// and the data lost (releases or builds lost, duplicated or left pending, SQLite damaged).
//   node bench/faults/run.ts [--rate 40] [--lanes 4] [--dockerd] [--only TEXT (cases whose name has it)]
// --dockerd adds the restart of the machine's dockerd: it is SHARED, so only on a machine where
// nothing else uses it. Loopback only; everything it made is removed at the end.
import Dockerode from 'dockerode';
import { flag, parseArgs } from '../../cli/args.ts';
import {
  diskFull, killPaasdDuringBuild, killPaasdDuringCutover, killPaasdDuringScale, killRouterSupervisor, killRouterWorker, registryDown, restartDockerd,
  restartRedis, runCase, type CaseResult, type FaultContext,
} from '../../test/faults/fault-cases.ts';
import { startFaultPlatform } from '../../test/helpers/fault-platform.ts';
import { describeLoad, startLoad } from '../../test/helpers/load.ts';
import { startPrivateRedis } from '../../test/helpers/private-redis.ts';
import { startPrivateRegistry } from '../../test/helpers/private-registry.ts';

const args = parseArgs(process.argv.slice(2));
const RATE = Number(flag(args, 'rate') ?? 40);
const LANES = Number(flag(args, 'lanes') ?? 4);
const DOCKERD = args.flags.dockerd !== undefined;
/** Only the cases whose name contains this (e.g. --only dockerd). */
const ONLY = flag(args, 'only');

const cases: Array<[string, Parameters<typeof runCase>[2]]> = [
  ['kill -9 of a router worker', killRouterWorker],
  ['kill -9 of the router supervisor', killRouterSupervisor],
  ['kill -9 of paasd during a build', killPaasdDuringBuild],
  ['kill -9 of paasd during a release cutover', killPaasdDuringCutover],
  ['kill -9 of paasd during a scale', killPaasdDuringScale],
  ['Redis killed and restarted (a build running, one queued)', restartRedis],
  ['registry down during a push', registryDown],
  ['disk nearly full at a push', diskFull],
  ...(DOCKERD ? [['dockerd restarted', restartDockerd] as [string, Parameters<typeof runCase>[2]]] : []),
];

async function main(): Promise<void> {
  const started = Date.now();
  const redisServer = await startPrivateRedis();
  const registry = await startPrivateRegistry();
  const p = await startFaultPlatform({ redisUrl: redisServer.url, registry: registry.address, label: 'paasbench', env: { PAAS_BUILD_CONCURRENCY: '1' } });
  const results: CaseResult[] = [];
  let ctx: FaultContext | null = null;
  try {
    const apps: [string, string] = [`balpha-${process.pid}`, `bbeta-${process.pid}`];
    for (const app of apps) {
      const push = await p.deploy(app, `${app} v1`);
      if (push.code !== 0) throw new Error(`deploy of ${app} failed:\n${push.stderr}`);
    }
    const load = startLoad({ port: p.routerPort, hosts: apps.map((a) => `${a}.localhost`), rate: RATE, lanes: LANES, postEvery: 4, maxMs: 30 * 60_000 });
    ctx = { p, load, apps, docker: new Dockerode({ socketPath: process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock' }), redisServer, registry };
    await new Promise((r) => setTimeout(r, 2000));
    for (const [name, body] of cases.filter(([name]) => ONLY === undefined || name.includes(ONLY))) {
      process.stderr.write(`-----> ${name}\n`);
      const r = await runCase(ctx, name, body);
      results.push(r);
      process.stderr.write(`       ${r.failed}/${r.requests} failed; lost: ${r.lost.join('; ') || 'none'}; ${[...r.problems, ...r.notes].join('; ')}\n`);
    }
    const total = await load.stop();
    console.log(`\nFault-tolerance bench: ${apps.length} apps under ${RATE} req/s each (${LANES} keep-alive connections each, every 4th request a POST), ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log('\n| fault | requests | failed requests | lost data | notes |\n|---|---:|---:|---|---|');
    for (const r of results) {
      const notes = [...r.problems.map((x) => `PROBLEM: ${x}`), ...r.notes].join('; ').replace(/\|/g, '/');
      console.log(`| ${r.fault} | ${r.requests} | ${r.failed} | ${r.lost.length ? r.lost.join('; ') : '0'} | ${notes} |`);
    }
    if (!DOCKERD) console.log('| dockerd restarted | | | | not run (the shared dockerd): `--dockerd` on a machine of its own |');
    console.log(`\nWhole run: ${describeLoad(total)}`);
  } finally {
    await ctx?.load.stop();
    await p.stop();
    await registry.destroy();
    await redisServer.destroy();
  }
  if (results.some((r) => r.problems.length || r.lost.length)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
