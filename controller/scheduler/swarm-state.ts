// The cluster as the swarm driver sees it: the platform's dyno services, their tasks and the
// nodes, read from the manager in three calls, and how a service's current task becomes a Dyno.
import type Dockerode from 'dockerode';
import { APP_PORT } from './docker-dyno.ts';
import type { ServiceSpec } from './swarm-spec.ts';
import type { ClusterNode, Dyno, DynoState } from './types.ts';

export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt: string;
  DesiredState: string;
  Status: {
    State: string;
    Timestamp?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: Array<{ TargetPort: number; PublishedPort: number }> };
  };
}

export interface SwarmService { ID: string; CreatedAt: string; Spec: ServiceSpec }

export interface SwarmNode {
  ID: string;
  Description: { Hostname: string };
  Spec: { Role: 'manager' | 'worker'; Availability: 'active' | 'pause' | 'drain'; Labels?: Record<string, string> };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
  Version: { Index: number };
}

export interface Snapshot {
  services: SwarmService[];
  /** Tasks of each service, newest first. */
  tasks: Map<string, SwarmTask[]>;
  nodes: Map<string, SwarmNode>;
  /** The node of the engine the platform talks to (its manager). */
  selfNodeId: string;
  /** The node whose tasks paasd reaches on loopback (the manager it runs on), '' if none. */
  loopbackNodeId: string;
}

/** Reads services (of this platform's dynos), their tasks and the nodes. */
export async function readSnapshot(docker: Dockerode, label: string, selfNodeId: string, loopbackNodeId: string): Promise<Snapshot> {
  const [services, tasks, nodes] = await Promise.all([
    docker.listServices({ filters: { label: [`${label}.dyno`] } }) as Promise<unknown> as Promise<SwarmService[]>,
    docker.listTasks() as Promise<unknown> as Promise<SwarmTask[]>,
    docker.listNodes() as Promise<unknown> as Promise<SwarmNode[]>,
  ]);
  const mine = new Set(services.map((s) => s.ID));
  const byService = new Map<string, SwarmTask[]>();
  for (const t of tasks) {
    if (!mine.has(t.ServiceID)) continue;
    byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
  }
  for (const list of byService.values()) list.sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt));
  return { services: services.filter((s) => s.Spec.Labels[label] === '1'), tasks: byService, nodes: new Map(nodes.map((n) => [n.ID, n])), selfNodeId, loopbackNodeId };
}

/** The task that is the dyno now: the newest one Swarm wants running, else the newest. */
export function currentTask(tasks: SwarmTask[] | undefined): SwarmTask | null {
  if (!tasks || tasks.length === 0) return null;
  return tasks.find((t) => t.DesiredState === 'running' || t.DesiredState === 'ready') ?? tasks[0];
}

const STARTING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
/** Node states of a lost node. `unknown` is not one: a restarted manager marks every node
 *  unknown until it reports again (swarmkit's dispatcher, after a leadership change), while its
 *  tasks run on. */
const LOST = new Set(['down', 'disconnected']);
export const nodeLost = (n: SwarmNode): boolean => LOST.has(n.Status.State);

export const taskEnded = (t: SwarmTask): boolean => ENDED.has(t.Status.State);
export const publishedPort = (t: SwarmTask): number | null =>
  t.Status.PortStatus?.Ports?.find((p) => p.TargetPort === APP_PORT)?.PublishedPort ?? null;

/** The published port of each task, as last reported. A worker's running task may come back
 *  without its PortStatus after the manager's engine restarted (the node re-reports the task to
 *  the new dispatcher; seen on Docker 20.10), while it runs on, on the same port: a task's
 *  host-mode port never changes, so the last one reported stays true. */
export interface PortBook {
  /** The task's port as reported now (recorded), else as last recorded, else null. */
  of(t: SwarmTask): number | null;
  /** Records a port learnt elsewhere (the route table of an earlier controller). */
  set(taskId: string, port: number): void;
  /** Forgets every task not in `live`. */
  keep(live: ReadonlySet<string>): void;
}

export function createPortBook(): PortBook {
  const ports = new Map<string, number>();
  return {
    of(t) {
      const port = publishedPort(t);
      if (port === null) return ports.get(t.ID) ?? null;
      ports.set(t.ID, port);
      return port;
    },
    set: (taskId, port) => { ports.set(taskId, port); },
    keep(live) { for (const id of ports.keys()) if (!live.has(id)) ports.delete(id); },
  };
}

/** Where the router reaches a task's published port: loopback on the platform's own node. */
export function nodeAddress(snap: Pick<Snapshot, 'loopbackNodeId'>, node: SwarmNode | undefined): string | null {
  if (!node) return null;
  if (node.ID === snap.loopbackNodeId) return '127.0.0.1';
  const addr = node.Status.Addr && node.Status.Addr !== '0.0.0.0' ? node.Status.Addr : node.ManagerStatus?.Addr?.replace(/:\d+$/, '');
  return addr || null;
}

export interface DynoView {
  label: string;
  /** Web tasks that passed their health check. */
  healthy: ReadonlySet<string>;
  /** Services being drained and removed by the platform. */
  stopping: ReadonlySet<string>;
  ports: PortBook;
}

/** One dyno per service: its current task's state, node and published port. */
export function toDyno(snap: Snapshot, service: SwarmService, view: DynoView): Dyno {
  const l = service.Spec.Labels;
  const L = (k: string): string => l[`${view.label}.${k}`];
  const task = currentTask(snap.tasks.get(service.ID));
  const node = task?.NodeID ? snap.nodes.get(task.NodeID) : undefined;
  const port = task && task.Status.State === 'running' ? view.ports.of(task) : null;
  const host = port === null ? null : nodeAddress(snap, node);
  const oneOff = service.Spec.TaskTemplate.RestartPolicy.Condition === 'none';
  let state: DynoState;
  if (view.stopping.has(service.ID)) state = 'stopping';
  else if (!task || STARTING.has(task.Status.State)) state = 'starting';
  else if (task.Status.State === 'running') {
    if (node && nodeLost(node)) state = 'down'; // its node is lost: Swarm moves it
    else if (L('type') === 'web' && !oneOff) state = view.healthy.has(task.ID) ? 'up' : 'starting';
    else state = 'up';
  } else if (oneOff) state = task.Status.State === 'complete' ? 'down' : 'crashed';
  else state = 'restarting'; // ended: Swarm starts a new task after the restart delay
  return {
    id: service.ID,
    app: L('app'),
    name: L('dyno'),
    type: L('type'),
    release: Number(L('release')),
    state,
    host: L('type') === 'web' ? host : null,
    port: L('type') === 'web' && host !== null ? port : null,
    startedAt: task?.Status.State === 'running' ? (task.Status.Timestamp ?? task.CreatedAt) : null,
    node: node?.Description.Hostname ?? null,
  };
}

export function toClusterNode(snap: Snapshot, node: SwarmNode, dynos: Dyno[]): ClusterNode {
  const name = node.Description.Hostname;
  return {
    id: node.ID,
    name,
    address: (node.Status.Addr && node.Status.Addr !== '0.0.0.0' ? node.Status.Addr : node.ManagerStatus?.Addr?.replace(/:\d+$/, '')) ?? '',
    role: node.Spec.Role,
    state: node.Status.State,
    availability: node.Spec.Availability,
    dynos: dynos.filter((d) => d.node === name && (d.state === 'up' || d.state === 'starting')).length,
    self: node.ID === snap.selfNodeId,
  };
}
