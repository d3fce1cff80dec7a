// Booting a dyno on the cluster: waits until Swarm runs the task of its service and, for web
// dynos, until it answers the platform's health check at <node address>:<published port>.
// Any failure (the node cannot pull the image, the process exits, no answer in time) is an
// error naming the dyno, the node and the reason, with the last lines of the dyno's output.
import type Dockerode from 'dockerode';
import { UserBuildError } from '../../common/errors.ts';
import { demuxDockerLog } from './docker-logs.ts';
import { probe, sleep } from './health.ts';
import { currentTask, nodeAddress, taskEnded, type PortBook, type SwarmNode, type SwarmTask } from './swarm-state.ts';
import type { DynoChecks } from './types.ts';

export interface BootDeps {
  docker: Dockerode;
  /** The node whose tasks are reached on loopback ('' if none). */
  loopbackNodeId: () => string;
  ports: PortBook;
}

export async function tasksOf(docker: Dockerode, serviceId: string): Promise<SwarmTask[]> {
  const tasks = (await docker.listTasks({ filters: { service: [serviceId] } })) as unknown as SwarmTask[];
  return tasks.sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt));
}

/** The last lines a service's tasks wrote (stdout and stderr), or '' if there are none. */
export async function serviceLogTail(docker: Dockerode, serviceId: string, lines = 15): Promise<string> {
  try {
    const buf = (await docker.getService(serviceId).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).trim();
  } catch {
    return '';
  }
}

/** A node's hostname (or id) for messages. */
async function nodeOf(docker: Dockerode, nodes: Map<string, SwarmNode>, id: string | undefined): Promise<SwarmNode | undefined> {
  if (!id) return undefined;
  if (!nodes.has(id)) {
    try { nodes.set(id, (await docker.getNode(id).inspect()) as SwarmNode); } catch { return undefined; }
  }
  return nodes.get(id);
}

export interface Booted { taskId: string; node: string }

/** Before its boot timeout starts, a task may spend this long waiting for a node and pulling
 *  its image there (a node's first image of a stack pulls every layer). */
export const PULL_TIMEOUT_MS = 10 * 60_000;
/** Swarm's task states before the container is started (assignment, image pull). */
const PREPARING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready']);

/** Waits until the dyno's task runs (and, for web, answers its health check). */
export async function bootService(deps: BootDeps, serviceId: string, name: string, web: boolean, checks: DynoChecks, log: (l: string) => void): Promise<Booted> {
  const { docker } = deps;
  const created = Date.now();
  /** Set once the container starts: the boot timeout counts from there, not from the pull. */
  let deadline = Infinity;
  let pulling = false;
  const nodes = new Map<string, SwarmNode>();
  const where = async (t: SwarmTask | null): Promise<string> => (await nodeOf(docker, nodes, t?.NodeID))?.Description.Hostname ?? 'no node';
  const withLogs = async (message: string): Promise<UserBuildError> => {
    const logs = await serviceLogTail(docker, serviceId);
    return new UserBuildError(`${message}${logs ? `:\n${logs}` : ''}`);
  };
  let announced = false;
  let task: SwarmTask | null = null;
  for (;;) {
    const tasks = await tasksOf(docker, serviceId);
    // The first task that ended: the dyno did not boot (Swarm would try again, maybe elsewhere,
    // but a release must not wait on a dyno that fails).
    const ended = tasks.find((t) => taskEnded(t) && t.Status.State !== 'shutdown');
    if (ended) {
      const node = await where(ended);
      const exit = ended.Status.ContainerStatus?.ExitCode;
      if (ended.Status.State === 'rejected' || exit === undefined || !ended.Status.ContainerStatus?.ContainerID) {
        throw new UserBuildError(`${name} could not start on node ${node}: ${ended.Status.Err ?? ended.Status.Message ?? ended.Status.State}`);
      }
      throw await withLogs(`${name} exited during boot on node ${node} (status ${exit})`);
    }
    task = currentTask(tasks);
    const waited = Date.now() - created;
    if (!task || PREPARING.has(task.Status.State)) {
      if (task?.Status.State === 'preparing' && !pulling && waited > 1000) {
        log(`${name}: node ${await where(task)} is pulling the image`);
        pulling = true;
      }
      // No node can take it (resources, constraints, every node drained): no reason to wait long.
      if (task?.Status.State === 'pending' && task.Status.Err && waited > checks.bootTimeoutSec * 1000) {
        throw new UserBuildError(`${name} could not be placed on any node: ${task.Status.Err}`);
      }
      if (waited > PULL_TIMEOUT_MS) {
        const why = [task?.Status.Message, task?.Status.Err].filter(Boolean).join(': ');
        throw new UserBuildError(`${name} did not start within ${PULL_TIMEOUT_MS / 1000}s (node ${await where(task)}, task ${task?.Status.State ?? 'not created'}${why ? `: ${why}` : ''})`);
      }
    } else if (deadline === Infinity) {
      deadline = Date.now() + checks.bootTimeoutSec * 1000;
    }
    if (task && task.Status.State === 'running') {
      if (!web) return { taskId: task.ID, node: await where(task) };
      const port = deps.ports.of(task);
      const node = await nodeOf(docker, nodes, task.NodeID);
      const host = nodeAddress({ loopbackNodeId: deps.loopbackNodeId() }, node);
      if (port !== null && host !== null) {
        const status = await probe(host, port, checks.healthPath);
        if (status !== null && status < 500) return { taskId: task.ID, node: await where(task) };
        if (status !== null && !announced) {
          log(`${name} answered ${status} on ${checks.healthPath} (node ${await where(task)}), waiting for a non-5xx answer`);
          announced = true;
        }
      }
    }
    if (Date.now() > deadline) {
      throw await withLogs(`${name} did not answer HTTP GET ${checks.healthPath} on $PORT with a non-5xx status within ${checks.bootTimeoutSec}s on node ${await where(task)}`);
    }
    await sleep(200);
  }
}

/** Health check of a web task Swarm started by itself (restart, rescheduling): true once it
 *  answers, false if it stops being the running task or the boot timeout passes. */
export async function checkTask(deps: BootDeps, serviceId: string, taskId: string, checks: DynoChecks): Promise<boolean> {
  const deadline = Date.now() + checks.bootTimeoutSec * 1000;
  const nodes = new Map<string, SwarmNode>();
  while (Date.now() < deadline) {
    const task = currentTask(await tasksOf(deps.docker, serviceId));
    if (!task || task.ID !== taskId || taskEnded(task)) return false;
    const port = task.Status.State === 'running' ? deps.ports.of(task) : null;
    const host = nodeAddress({ loopbackNodeId: deps.loopbackNodeId() }, await nodeOf(deps.docker, nodes, task.NodeID));
    if (port !== null && host !== null) {
      const status = await probe(host, port, checks.healthPath);
      if (status !== null && status < 500) return true;
    }
    await sleep(200);
  }
  return false;
}
