// The scheduler the platform runs with: PAAS_SCHEDULER=docker (the local engine) or swarm (a
// Docker Swarm cluster the local engine manages, or the engine at PAAS_SWARM_MANAGER_SOCKET).
// Nothing else knows which one it is.
import Dockerode from 'dockerode';
import type { Config } from '../../common/config.ts';
import type { RouteTable } from '../../common/routes.ts';
import { createDockerScheduler } from './docker-scheduler.ts';
import { createSwarmScheduler } from './swarm-scheduler.ts';
import type { Scheduler } from './types.ts';

/** The engine of the swarm's manager: the local one unless PAAS_SWARM_MANAGER_SOCKET names another. */
export const swarmManagerEngine = (config: Config, local: Dockerode): Dockerode =>
  config.swarmManagerSocket ? new Dockerode({ socketPath: config.swarmManagerSocket }) : local;

/** lastRoutes: the route table in use when the controller starts (docker-scheduler.ts). */
export function createScheduler(config: Config, docker: Dockerode, log: (line: string) => void, lastRoutes?: RouteTable | null): Scheduler {
  const common = {
    docker, label: config.label, registry: config.registry, registryAuth: config.registryAuth, bootTimeoutSec: config.bootTimeout,
    healthPath: config.healthCheckPath, stopGraceSec: config.drainGrace, log,
    cpus: config.dynoCpus, cpuShares: config.dynoCpuShares,
  };
  return config.scheduler === 'swarm'
    ? createSwarmScheduler({ ...common, docker: swarmManagerEngine(config, docker), remoteManager: Boolean(config.swarmManagerSocket), lastRoutes })
    : createDockerScheduler({ ...common, lastRoutes });
}
