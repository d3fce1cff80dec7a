// Scheduler driver for a Docker Swarm cluster, through the manager the platform runs on (the
// Docker services API: services, tasks, nodes, service logs). One service per dyno
// (swarm-spec.ts); Swarm places, restarts and reschedules the tasks, the platform
// health-checks every web task before it is routed and drains it before it is stopped.
// Changes Swarm makes by itself (a task restarted or moved, a node lost) are seen by polling
// the manager (Swarm has no task events) and reported through onChange within a second.
import type Dockerode from 'dockerode';
import { NotFoundError, UserBuildError, errorMessage } from '../../common/errors.ts';
import { checksOf } from './docker-dyno.ts';
import { followDockerLogs } from './docker-logs-follow.ts';
import { collectDockerOutput } from './docker-output.ts';
import { sleep } from './health.ts';
import { allDynos, rollingRestart, scalePlan } from './scale-plan.ts';
import { bootService, checkTask, tasksOf } from './swarm-boot.ts';
import { createKeyedMutex } from '../../common/keyed-mutex.ts';
import { createOneOff, listOneOffContainers, localOneOff, type OneOffDeps } from './docker-one-off.ts';
import { pullImage } from '../../common/docker-pull.ts';
import { runSwarmOneOff } from './swarm-one-off.ts';
import { appNetworkName, dynoService, renamed, type ServiceSpec } from './swarm-spec.ts';
import type { RegistryAuth } from '../../common/config.ts';
import { dockerAuthConfig } from '../../common/registry-auth.ts';
import type { RouteTable } from '../../common/routes.ts';
import { createPortBook, currentTask, nodeAddress, readSnapshot, taskEnded, toClusterNode, toDyno, type Snapshot, type SwarmNode, type SwarmService, type SwarmTask } from './swarm-state.ts';
import { ONE_OFF, type ClusterNode, type Dyno, type DynoChecks, type LogOptions, type OutputOptions, type ProcessSpec, type ReleaseSpec, type Scheduler } from './types.ts';

export interface SwarmSchedulerOptions {
  /** The manager's engine (the one paasd runs on). */
  docker: Dockerode;
  label: string;
  /** host:port of the registry; the image references every node pulls. */
  registry: string;
  /** Registry credentials, passed to Swarm on service create (X-Registry-Auth) for the nodes. */
  registryAuth?: RegistryAuth | null;
  /** CPU quota of each dyno, in CPUs (config.dynoCpus). */
  cpus?: number;
  bootTimeoutSec: number;
  stopGraceSec?: number;
  healthPath?: string;
  log?: (line: string) => void;
  /** The route table the routers used when this controller started (docker-scheduler.ts). */
  lastRoutes?: RouteTable | null;
  /** The manager is another machine than paasd's (PAAS_SWARM_MANAGER_SOCKET): its tasks are
   *  reached at its node address, not on loopback. */
  remoteManager?: boolean;
  /** How often the cluster is read for changes Swarm made (ms, default 400). */
  pollMs?: number;
}

export function createSwarmScheduler(opts: SwarmSchedulerOptions): Scheduler {
  const { docker, label } = opts;
  const log = opts.log ?? ((line: string) => console.error(`scheduler: ${line}`));
  const defaults: DynoChecks = { healthPath: opts.healthPath ?? '/', bootTimeoutSec: opts.bootTimeoutSec, graceSec: opts.stopGraceSec ?? 30 };
  const authconfig = dockerAuthConfig(opts.registry, opts.registryAuth ?? null);
  /** Web tasks that passed their health check (routable), and those being checked. */
  const healthy = new Set<string>();
  const checking = new Set<string>();
  /** Services the platform is booting (their check is the boot's) or draining and removing. */
  const launching = new Set<string>();
  const stopping = new Set<string>();
  const listeners = new Set<() => void>();
  const notify = (): void => { for (const fn of listeners) fn(); };
  let selfNodeId = '';
  /** Until the first read: tasks found running were routed by an earlier paasd; adopt them. */
  let adopting = true;
  /** The last read of the cluster, for list() while the manager's engine does not answer. */
  let lastSnap: Snapshot | null = null;
  let poller: NodeJS.Timeout | null = null;
  let closed = false;
  const networks = new Set<string>();

  const checksFor = (labels: Record<string, string>): DynoChecks => checksOf(label, labels, defaults);
  const loopbackNodeId = (): string => (opts.remoteManager ? '' : selfNodeId);
  const ports = createPortBook();
  const bootDeps = { docker, loopbackNodeId, ports };

  async function self(): Promise<string> {
    if (selfNodeId) return selfNodeId;
    const info = (await docker.info()) as { Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean } };
    if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.NodeID) throw new Error('the Docker engine is not in a swarm (PAAS_SCHEDULER=swarm: docs/scale-out.md)');
    if (!info.Swarm.ControlAvailable) throw new Error('the Docker engine is a swarm worker: the platform must run on a manager node');
    selfNodeId = info.Swarm.NodeID;
    return selfNodeId;
  }

  async function snapshot(): Promise<Snapshot> {
    const selfId = await self();
    const snap = await readSnapshot(docker, label, selfId, loopbackNodeId());
    if (adopting) {
      // Web tasks the last route table routed were healthy; others (an app the table does not
      // know: all of its tasks) are adopted as well. A task of a known app that was not routed
      // was started by a controller that died before its check passed: poll() checks it.
      const routed = new Map((opts.lastRoutes?.apps ?? []).map((a) => [a.app, a.backends]));
      for (const svc of snap.services) {
        const t = currentTask(snap.tasks.get(svc.ID));
        if (t?.Status.State !== 'running') continue;
        const known = routed.get(svc.Spec.Labels[`${label}.app`]);
        const host = nodeAddress(snap, t.NodeID ? snap.nodes.get(t.NodeID) : undefined);
        // A task Swarm no longer reports the port of (PortBook): the port it was routed at.
        const port = ports.of(t) ?? known?.find((b) => b.host === host && b.dyno === svc.Spec.Labels[`${label}.dyno`])?.port ?? null;
        if (port !== null) ports.set(t.ID, port);
        if (!known || known.some((b) => b.host === host && b.port === port) || svc.Spec.Labels[`${label}.type`] !== 'web') healthy.add(t.ID);
      }
      adopting = false;
    }
    lastSnap = snap;
    return snap;
  }

  const view = { label, healthy, stopping, ports };
  async function list(app?: string): Promise<Dyno[]> {
    const dynosOf = (snap: Snapshot): Dyno[] => snap.services.filter((s) => !app || s.Spec.Labels[`${label}.app`] === app).map((s) => toDyno(snap, s, view));
    // Once a poll found the manager's engine gone, the last read stands until a poll finds it
    // answering again: a restarted engine takes connections before it serves them, and the
    // routes (the manager's dynos out, managerGone) must not wait for it.
    if (unreachable && lastSnap) return dynosOf(lastSnap);
    let snap: Snapshot;
    try {
      snap = await snapshot();
    } catch (err) {
      // The manager's engine does not answer: the last read, as managerGone() left it (the
      // routes follow it), without the one-offs that run on that engine.
      if (unreachable && lastSnap) return dynosOf(lastSnap);
      throw err;
    }
    return [...dynosOf(snap), ...(await localOneOffs(app))];
  }
  /** `paas run` one-offs are containers on the manager's own engine (they need `docker attach`
   *  for stdin and a TTY, which services do not give), on the app's attachable overlay. */
  const localOneOffs = async (app?: string): Promise<Dyno[]> =>
    listOneOffContainers(docker, label, await nodeName(await self()), app);

  async function nodeName(id: string | undefined): Promise<string> {
    if (!id) return 'no node';
    try { return ((await docker.getNode(id).inspect()) as SwarmNode).Description.Hostname; } catch { return id; }
  }

  /** The app's overlay network, created on first use. */
  async function network(app: string): Promise<string> {
    const name = appNetworkName(label, app);
    if (networks.has(name)) return name;
    try {
      await docker.getNetwork(name).inspect();
    } catch {
      await docker.createNetwork({ Name: name, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: { [label]: '1', [`${label}.app`]: app } })
        .catch((err: { statusCode?: number }) => { if (err.statusCode !== 409) throw err; });
    }
    networks.add(name);
    return name;
  }

  /** Removes services and waits (at most their grace + 10 s) until their tasks ended. */
  async function removeServices(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tasksEnded(ids, await removeOnly(ids));
  }

  /** Removes the services; returns the longest stop grace among them (s). */
  async function removeOnly(ids: string[]): Promise<number> {
    let graceSec = 0;
    await Promise.all(ids.map(async (id) => {
      const svc = docker.getService(id);
      try { graceSec = Math.max(graceSec, checksFor(((await svc.inspect()) as { Spec: ServiceSpec }).Spec.Labels).graceSec); } catch { /* gone */ }
      try { await svc.remove(); } catch { /* already gone */ }
    }));
    return graceSec;
  }

  /** Waits until the tasks of removed services have ended (at most their grace + 10 s). */
  async function tasksEnded(ids: string[], graceSec: number): Promise<void> {
    // A removed service's tasks are only found in the whole list (the service filter needs the service).
    const gone = new Set(ids);
    const deadline = Date.now() + (graceSec + 10) * 1000;
    while (Date.now() < deadline) {
      const [tasks, nodes] = await Promise.all([
        docker.listTasks().catch(() => []) as Promise<unknown> as Promise<SwarmTask[]>,
        docker.listNodes().catch(() => []) as Promise<unknown> as Promise<SwarmNode[]>,
      ]);
      // Tasks on a lost node never report their end: nothing to wait for there.
      const lost = new Set(nodes.filter((n) => n.Status.State !== 'ready').map((n) => n.ID));
      if (tasks.every((t) => !gone.has(t.ServiceID) || taskEnded(t) || lost.has(t.NodeID ?? ''))) return;
      await sleep(200);
    }
  }

  /** Creates a dyno's service and waits until it runs (web: healthy); removes it on failure. */
  async function bootNew(spec: ServiceSpec, log: (l: string) => void): Promise<string> {
    const dyno = spec.Labels[`${label}.dyno`];
    const svc = await docker.createService(authconfig, spec);
    launching.add(svc.id);
    try {
      const booted = await bootService(bootDeps, svc.id, dyno, spec.Labels[`${label}.type`] === 'web', checksFor(spec.Labels), log);
      healthy.add(booted.taskId);
      log(`${dyno} is up on node ${booted.node}`);
      return svc.id;
    } catch (err) {
      await removeServices([svc.id]);
      throw err;
    } finally {
      launching.delete(svc.id);
    }
  }

  /** Starts the given dynos of a release; all healthy, or none left behind. */
  async function launch(spec: ReleaseSpec, wanted: Array<{ proc: ProcessSpec; index: number }>, log: (l: string) => void): Promise<Dyno[]> {
    if (wanted.length === 0) return [];
    const net = await network(spec.app);
    const graceSec = (spec.checks ?? defaults).graceSec;
    const specs = wanted.map(({ proc, index }) => dynoService({ label, spec: { ...spec, checks: spec.checks ?? defaults }, proc, index, oneOff: false, network: net, graceSec, cpus: opts.cpus }));
    const results = await Promise.allSettled(specs.map((s) => bootNew(s, log)));
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await removeServices(started);
      throw failure.reason;
    }
    const ids = new Set(started);
    return (await list(spec.app)).filter((d) => ids.has(d.id));
  }

  /** Marks dynos stopping (out of routing), lets syncRoutes drain them, then runs `remove`. */
  async function whileStopping<T>(dynos: Dyno[], syncRoutes: (() => Promise<void>) | undefined, remove: () => Promise<T>): Promise<T> {
    for (const d of dynos) stopping.add(d.id);
    try {
      if (syncRoutes) await syncRoutes();
      return await remove();
    } finally {
      for (const d of dynos) stopping.delete(d.id);
    }
  }

  /** Takes dynos out of routing, lets syncRoutes drain them, then removes their services. */
  async function stopAll(dynos: Dyno[], syncRoutes: (() => Promise<void>) | undefined, log: (l: string) => void): Promise<void> {
    if (dynos.length === 0) return;
    await whileStopping(dynos, syncRoutes, () => Promise.all(dynos.map(async (d) => {
      await removeServices([d.id]);
      log(`${d.name} stopped`);
    })));
  }

  async function scale(spec: ReleaseSpec, log: (l: string) => void, syncRoutes?: () => Promise<void>): Promise<void> {
    const plan = scalePlan((await list(spec.app)).filter((d) => d.release === spec.release && d.state !== 'stopping'), spec.processes);
    await launch(spec, plan.wanted, log);
    await stopAll(plan.extra, syncRoutes, log);
  }

  /** Tasks of services retire() removed that are still ending, by app. */
  const ending = new Map<string, Promise<void>>();

  /**
   * The old release's dynos leave the routes (syncRoutes waits for the routers to drain them)
   * and their services are removed; the tasks' end (Swarm reports it seconds after the stop)
   * is not waited for here, so a push returns once the old dynos are out of service.
   * destroy() waits for it before it removes the app's network.
   */
  async function retire(app: string, keepRelease: number | null, syncRoutes?: () => Promise<void>): Promise<void> {
    const dynos = (await list(app)).filter((d) => d.release !== keepRelease && d.type !== ONE_OFF && d.state !== 'stopping');
    if (dynos.length === 0) return;
    const ids = dynos.map((d) => d.id);
    const graceSec = await whileStopping(dynos, syncRoutes, () => removeOnly(ids));
    const ended = tasksEnded(ids, graceSec).catch(() => undefined);
    const all = Promise.all([ending.get(app), ended]).then(() => undefined);
    ending.set(app, all);
    void all.then(() => { if (ending.get(app) === all) ending.delete(app); });
  }

  /** A copy of the dyno starts (where Swarm puts it), is health-checked and routed; then the
   *  old one is drained and removed. */
  async function replace(d: Dyno, syncRoutes: () => Promise<void>): Promise<void> {
    const info = (await docker.getService(d.id).inspect()) as { Spec: ServiceSpec };
    await bootNew(renamed(label, info.Spec), () => undefined);
    await syncRoutes();
    await stopAll([d], syncRoutes, () => undefined);
  }

  /** In place: Swarm stops the task and starts a new one (ForceUpdate). */
  async function restartInPlace(d: Dyno): Promise<void> {
    const svc = docker.getService(d.id);
    const info = (await svc.inspect()) as { Version: { Index: number }; Spec: ServiceSpec };
    const spec = { ...info.Spec, TaskTemplate: { ...info.Spec.TaskTemplate, ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } };
    await svc.update({ authconfig, _query: { version: info.Version.Index }, _body: spec });
  }

  const restart: Scheduler['restart'] = async (app, filter, syncRoutes) =>
    rollingRestart(await list(app), filter, { replace: (d) => replace(d, syncRoutes), inPlace: restartInPlace, syncRoutes });

  async function destroy(app: string): Promise<void> {
    await ending.get(app); // tasks of retired dynos still on the app's network
    const dynos = await list(app);
    const local = new Set((await localOneOffs(app)).map((d) => d.id));
    await Promise.all([...local].map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    await removeServices(dynos.filter((d) => !local.has(d.id)).map((d) => d.id));
    const name = appNetworkName(label, app);
    networks.delete(name);
    for (let i = 0; i < 10; i++) {
      const gone = await docker.getNetwork(name).remove().then(() => true, (err: { statusCode?: number }) => err.statusCode === 404);
      if (gone) break;
      await sleep(500); // the tasks' endpoints leave the network a moment after they ended
    }
    // The manager's copies of the app's images (other nodes keep theirs until pruned).
    const repo = `${opts.registry}/${app}:`;
    const images = await docker.listImages({ filters: { reference: [`${opts.registry}/${app}`] } });
    for (const tag of images.flatMap((img) => img.RepoTags ?? []).filter((t) => t.startsWith(repo))) {
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  }

  async function logs(app: string, lopts: LogOptions, emit: Parameters<Scheduler['logs']>[2]): Promise<void> {
    const matches = (d: Dyno): boolean => !lopts.dyno || d.name === lopts.dyno || d.type === lopts.dyno;
    const targets = async () => (await list(app)).filter(matches).map((d) => ({ id: d.id, dyno: d.name, running: d.state === 'up' || d.state === 'starting' || d.state === 'stopping' }));
    await followDockerLogs(docker, targets, lopts, emit, (id, o) =>
      docker.getService(id).logs({ stdout: true, stderr: true, timestamps: true, tail: o.tail, follow: o.follow }) as Promise<Buffer | NodeJS.ReadableStream>);
  }

  async function output(oopts: OutputOptions, emit: Parameters<Scheduler['output']>[1]): Promise<void> {
    const targets = async () => (await list()).filter((d) => d.type !== ONE_OFF).map((d) => ({ id: d.id, app: d.app, dyno: d.name, running: d.state === 'up' || d.state === 'starting' || d.state === 'stopping' }));
    await collectDockerOutput(docker, targets, oopts, emit, (id, o) =>
      docker.getService(id).logs({ stdout: true, stderr: true, timestamps: true, follow: true, tail: o.tail as number, ...(o.since ? { since: o.since as unknown as number } : {}) }) as unknown as Promise<NodeJS.ReadableStream>);
  }

  async function nodes(): Promise<ClusterNode[]> {
    const snap = await snapshot();
    const dynos = snap.services.map((s) => toDyno(snap, s, view));
    return [...snap.nodes.values()].map((n) => toClusterNode(snap, n, dynos)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async function setAvailability(id: string, availability: SwarmNode['Spec']['Availability']): Promise<void> {
    const node = docker.getNode(id);
    const info = (await node.inspect()) as SwarmNode;
    await node.update({ _query: { version: info.Version.Index }, _body: { ...info.Spec, Availability: availability } });
  }

  async function setNodeAvailability(ref: string, availability: 'active' | 'drain', syncRoutes: () => Promise<void>): Promise<ClusterNode> {
    const found = (await nodes()).find((n) => n.id === ref || n.name === ref);
    if (!found) throw new NotFoundError(`No node ${ref} in the swarm.`);
    if (availability === 'drain' && found.availability !== 'drain') {
      // Zero-downtime drain: no new task lands on the node (pause), each of its web dynos is
      // replaced elsewhere before it is drained and stopped, then Swarm moves the rest.
      await setAvailability(found.id, 'pause');
      try {
        const webs = (await list()).filter((d) => d.node === found.name && d.type === 'web' && d.state !== 'stopping');
        for (const d of webs) await replace(d, syncRoutes);
      } catch (err) {
        await setAvailability(found.id, found.availability).catch(() => undefined);
        throw new UserBuildError(`could not move the dynos off ${found.name}: ${errorMessage(err)}`);
      }
    }
    await setAvailability(found.id, availability);
    return (await nodes()).find((n) => n.id === found.id) ?? found;
  }

  // Swarm's own changes: polled. Web tasks it started are health-checked before they count
  // as up; detached one-offs that ended are removed.
  let lastSeen = '';
  let unreachable = false;
  async function poll(): Promise<void> {
    try {
      const snap = await snapshot();
      if (unreachable) log('the Docker engine answers again: following the swarm');
      unreachable = false;
      const live = new Set<string>();
      for (const svc of snap.services) {
        const task = currentTask(snap.tasks.get(svc.ID));
        if (task) live.add(task.ID);
        const oneOff = svc.Spec.TaskTemplate.RestartPolicy.Condition === 'none';
        if (oneOff && task && taskEnded(task) && Date.now() - Date.parse(task.Status.Timestamp ?? task.CreatedAt) > 5000) {
          void docker.getService(svc.ID).remove().catch(() => undefined); // detached, ended (attached runs remove their own)
        }
        if (oneOff || !task || task.Status.State !== 'running' || healthy.has(task.ID) || checking.has(task.ID)) continue;
        if (launching.has(svc.ID) || stopping.has(svc.ID) || svc.Spec.Labels[`${label}.type`] !== 'web') continue;
        checking.add(task.ID);
        void checkTask(bootDeps, svc.ID, task.ID, checksFor(svc.Spec.Labels))
          .then((ok) => { if (ok) healthy.add(task.ID); }, () => undefined)
          .finally(() => { checking.delete(task.ID); notify(); });
      }
      for (const id of healthy) if (!live.has(id)) healthy.delete(id);
      ports.keep(live);
      const seen = JSON.stringify(snap.services.map((s) => toDyno(snap, s, view)).map((d) => [d.id, d.state, d.host, d.port]));
      if (seen !== lastSeen) { lastSeen = seen; notify(); }
    } catch (err) {
      if (!unreachable) {
        log(`cannot read the swarm (${errorMessage(err).split('\n')[0]}): the manager's own dynos leave the routes where an app has others, the rest stays; retrying`);
        unreachable = true;
        if (lastSnap) managerGone(lastSnap);
        notify();
      }
      selfNodeId = '';
    }
  }

  /** The manager's engine stopped answering. Its own dynos die with it (swarm mode has no
   *  live-restore): their web tasks lose their health mark, so they leave the routes and are
   *  checked again once the engine answers (Swarm's record of them is stale by then). An app
   *  whose routable dynos all run on the manager keeps them: there is nothing better to route
   *  to, and they may still run (only the engine's socket may be gone). */
  function managerGone(snap: Snapshot): void {
    const onManager = (s: SwarmService): SwarmTask | null => {
      const t = currentTask(snap.tasks.get(s.ID));
      return t?.NodeID === snap.selfNodeId ? t : null;
    };
    const elsewhere = new Set(snap.services.filter((s) => !onManager(s)).map((s) => toDyno(snap, s, view))
      .filter((d) => d.type === 'web' && d.state === 'up' && d.port !== null).map((d) => d.app));
    for (const s of snap.services) {
      const t = onManager(s);
      if (t && elsewhere.has(s.Spec.Labels[`${label}.app`])) healthy.delete(t.ID);
    }
  }
  function watch(): void {
    if (poller || closed) return;
    const tick = (): void => {
      poller = setTimeout(() => { void poll().finally(() => { if (!closed) tick(); }); }, opts.pollMs ?? 400);
      poller.unref();
    };
    tick();
  }

  const oneOffDeps: OneOffDeps = {
    docker, label, list, naming: createKeyedMutex(),
    pull: (image) => pullImage(docker, image, authconfig),
    // An overlay made before overlays were attachable cannot take the container: the default network then.
    network: async (app: string) => {
      const name = await network(app);
      const info = (await docker.getNetwork(name).inspect()) as { Attachable?: boolean };
      return info.Attachable ? name : null;
    },
  };
  return {
    start: (spec, log) => launch(spec, allDynos(spec.processes), log),
    scale,
    retire,
    list,
    logs,
    output,
    run: (spec, ropts, output) => runSwarmOneOff({ docker, label, authconfig, list, network, nodeName, cpus: opts.cpus }, spec, ropts, output),
    createOneOff: (spec, oopts) => createOneOff(oneOffDeps, spec, oopts),
    oneOff: localOneOff(docker),
    restart,
    destroy,
    nodes,
    setNodeAvailability,
    onChange(fn) {
      listeners.add(fn);
      watch();
      return () => listeners.delete(fn);
    },
    async close() {
      closed = true;
      if (poller) clearTimeout(poller);
      poller = null;
      listeners.clear();
    },
  };
}
