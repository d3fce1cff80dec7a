// paasd: the control plane in one foreground process — controller (API + git) and builder.
// The router (the data plane) is its own process tree, bin/paas-router.ts: apps keep
// answering while paasd crashes, restarts or is upgraded.
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { startBuilder } from '../builder/index.ts';
import { loadConfig, type Config } from '../common/config.ts';
import { startController } from '../controller/index.ts';
import { swarmManagerEngine } from '../controller/scheduler/create-scheduler.ts';
import { ensureSwarmManager } from '../controller/scheduler/swarm-setup.ts';
import { keepRouterRunning } from '../router/keeper.ts';
import { routerPidFile } from '../router/serve.ts';
import { errorMessage } from '../common/errors.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  await docker.ping();
  // Swarm mode: on a manager only (this engine, or PAAS_SWARM_MANAGER_SOCKET's); a single-node
  // swarm is made when the engine is in none.
  const swarm = config.scheduler === 'swarm'
    ? await ensureSwarmManager(swarmManagerEngine(config, docker), { advertiseAddr: config.swarmAdvertiseAddr, log: (line) => console.log(line) })
    : null;
  const controller = await startController({ config, docker });
  const builder = await startBuilder({
    config, docker, connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), concurrency: config.buildConcurrency,
  });

  // The router is its own process tree; bin/setup start has paasd start it again if it dies.
  const keeper = config.routerKeeper ? keepRouterRunning({ config }) : null;

  const tokenFile = path.join(config.dataDir, 'admin.token');
  console.log([
    `paas is running`,
    `  API and git:  ${controller.url}${config.apiBind === '127.0.0.1' ? '' : ` (bound to ${config.apiBind})`}`,
    `  Apps:         http://<app>.${config.domain}:${config.routerPort}/${config.httpsPort < 0 ? '' : `  https://<app>.${config.domain}:${config.httpsPort}/`}`,
    `  Router:       ${routerLine(config)}`,
    `  Data:         ${config.dataDir}`,
    ...(swarm ? [
      `  Dynos:        Docker Swarm, manager ${swarm.managerAddr} (bin/paas nodes; docs/scale-out.md)`,
      `  Add a node:   ${swarm.joinCommand}`,
    ] : [`  Dynos:        this machine's Docker engine (PAAS_SCHEDULER=swarm for a cluster)`]),
    fs.existsSync(tokenFile)
      ? `  Log in:       bin/paas login --api ${config.apiUrl} --token "$(cat ${tokenFile})"`
      : `  Log in:       bin/paas login --api ${config.apiUrl} --token <your API token>`,
    `  Then:         bin/paas apps:create hello && git push <git_url> master`,
  ].join('\n'));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`paasd: ${signal}, shutting down (app containers keep running)`);
    keeper?.stop();
    await Promise.allSettled([builder.close(), controller.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Whether the router process runs (it is started apart from paasd, by bin/setup start). */
function routerLine(config: Config): string {
  const file = routerPidFile(config);
  const pid = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  const alive = pid !== '' && fs.existsSync(`/proc/${pid}`);
  return alive ? `bin/paas-router, pid ${pid} (apart from paasd)` : 'NOT RUNNING: start it with bin/paas-router (npm start does)';
}

main().catch((err: unknown) => {
  console.error(`paasd: ${errorMessage(err)}`);
  process.exit(1);
});
