// A real Docker Swarm made of engines in containers only (the host's engine joins no swarm): a
// manager container and worker containers of paas/swarm-node on a bridge network of their own,
// with the registry relay of swarm-cluster.ts. The manager's engine is not the container's PID 1
// (the container runs `sleep` under an init, and its dockerd is started with `docker exec`), so
// a test can stop that dockerd and start it again while the container, its address and its
// /var/lib/docker stay: a manager machine whose Docker engine is restarted. The platform talks
// to the manager's engine through its Unix socket, which dockerd also serves in a host
// directory bind-mounted into the container (PAAS_SWARM_MANAGER_SOCKET).
// Made under the machine-wide swarm test lock (swarm-cluster.ts); stop() removes everything.
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { ensureSwarmNodeImage } from '../../builder/swarm-node-image.ts';
import { ensureSwarmManager } from '../../controller/scheduler/swarm-setup.ts';
import {
  claimSwarmEngine, execIn, joinSwarm, NODE_ENGINE_ARGS, removeSwarmLeftovers, startNodeContainer, startNodeNetwork, SWARM_TEST_LABEL,
  waitForNodeEngine, type SwarmWorker,
} from './swarm-cluster.ts';

export interface ContainerSwarm {
  manager: SwarmWorker & {
    /** Host path of the manager engine's Unix socket. */
    socket: string;
    /** The manager's engine, through that socket. */
    engine: Dockerode;
    /** host:2377 the workers joined. */
    managerAddr: string;
  };
  workers: SwarmWorker[];
  /** Stops the manager's dockerd (SIGTERM: a `systemctl restart docker`; SIGKILL: a crash),
   *  waits until it is gone, starts it again and waits until it answers. Resolves with how
   *  long it did not answer (ms). */
  restartManagerEngine(signal?: 'TERM' | 'KILL'): Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ENGINE_DIR = '/paas-engine';

export async function startContainerSwarm(opts: {
  /** The host's engine (it runs the node containers; it joins no swarm). */
  docker: Dockerode;
  workers: number;
  /** host:port of the platform's registry (loopback). */
  registry: string;
  baseImage: string;
  /** Swarm's dispatcher heartbeat (s): Docker's default 5. A restarted manager gives each node
   *  3 heartbeats to report again before it is marked down and its tasks are moved. */
  heartbeatSec?: number;
  log?: (line: string) => void;
}): Promise<ContainerSwarm> {
  const { docker } = opts;
  const log = opts.log ?? (() => undefined);
  const unlock = await claimSwarmEngine(docker);
  const id = randomBytes(3).toString('hex');
  const labels = { [SWARM_TEST_LABEL]: '1' };
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-swarm-manager-'));
  let relay: net.Server | null = null;

  const stop = async (): Promise<void> => {
    relay?.close();
    try {
      await removeSwarmLeftovers(docker);
    } finally {
      fs.rmSync(socketDir, { recursive: true, force: true });
      unlock();
    }
  };

  try {
    const image = await ensureSwarmNodeImage({ docker, baseImage: opts.baseImage, log });
    const networkName = `paas-swarm-test-${id}`;
    const node = await startNodeNetwork({ docker, image, name: networkName, labels, registry: opts.registry, onRelay: (r) => { relay = r; } });

    const m = await startNodeContainer({
      ...node, container: `${networkName}-manager`, hostname: 'swarm-manager', binds: [`${socketDir}:${ENGINE_DIR}`], entrypoint: ['sleep', 'infinity'],
    });
    // The node image's entrypoint (registry socat, then dockerd), as a process of its own.
    const startEngine = async (): Promise<void> => {
      const exec = await docker.getContainer(m.containerId).exec({
        Cmd: ['/usr/local/bin/swarm-node', ...NODE_ENGINE_ARGS, '-H', 'unix:///var/run/docker.sock', '-H', `unix://${ENGINE_DIR}/docker.sock`],
      });
      const answer = await exec.start({ Detach: true });
      (answer as unknown as NodeJS.ReadableStream | undefined)?.resume?.();
      await waitForNodeEngine(docker, m.containerId, 'swarm-manager');
    };
    await startEngine();
    const engine = new Dockerode({ socketPath: path.join(socketDir, 'docker.sock') });
    const swarm = await ensureSwarmManager(engine, {
      advertiseAddr: m.addr, log,
      spec: { Labels: labels, Dispatcher: { HeartbeatPeriod: (opts.heartbeatSec ?? 5) * 1e9 }, Orchestration: { TaskHistoryRetentionLimit: 3 } },
    });
    const token = ((await engine.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    const workers: SwarmWorker[] = [];
    await Promise.all(Array.from({ length: opts.workers }, async (_, i) => {
      const name = `swarm-worker-${i + 1}`;
      const w = await startNodeContainer({ ...node, container: `${networkName}-${i + 1}`, hostname: name });
      await joinSwarm(docker, w.containerId, name, token, w.addr, swarm.managerAddr);
      workers.push({ name, ...w });
    }));
    await nodesReady(engine, opts.workers + 1);
    log(`swarm of containers: manager swarm-manager ${m.addr}, workers ${workers.map((w) => `${w.name} ${w.addr}`).join(', ')}`);

    const dockerdPid = async (): Promise<string> =>
      (await execIn(docker, m.containerId, ['sh', '-c', 'cat /var/run/docker.pid 2>/dev/null'])).output.trim();
    return {
      manager: { name: 'swarm-manager', containerId: m.containerId, addr: m.addr, socket: path.join(socketDir, 'docker.sock'), engine, managerAddr: swarm.managerAddr },
      workers,
      async restartManagerEngine(signal = 'TERM') {
        const pid = await dockerdPid();
        if (!/^\d+$/.test(pid)) throw new Error(`the manager's dockerd has no pid file (${pid})`);
        const stoppedAt = Date.now();
        await execIn(docker, m.containerId, ['kill', `-${signal}`, pid]);
        for (let t = 0; (await execIn(docker, m.containerId, ['kill', '-0', pid])).code === 0; t++) {
          if (t > 300) throw new Error('the manager\'s dockerd did not stop within 60 s');
          await sleep(200);
        }
        await startEngine();
        return Date.now() - stoppedAt;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Waits until the swarm has `count` nodes, all ready. */
async function nodesReady(engine: Dockerode, count: number): Promise<void> {
  for (let t = 0; ; t++) {
    const nodes = (await engine.listNodes()) as Array<{ Status: { State: string } }>;
    if (nodes.length === count && nodes.every((n) => n.Status.State === 'ready')) return;
    if (t > 100) throw new Error(`the swarm's nodes are not ready: ${nodes.map((n) => n.Status.State).join(', ')}`);
    await sleep(200);
  }
}
