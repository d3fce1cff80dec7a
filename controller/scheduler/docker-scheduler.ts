// Scheduler driver for one local Docker engine.
import os from 'node:os';
import type Dockerode from 'dockerode';
import { errorMessage, NotAClusterError } from '../../common/errors.ts';
import type { RegistryAuth } from '../../common/config.ts';
import { createKeyedMutex } from '../../common/keyed-mutex.ts';
import { dockerAuthConfig } from '../../common/registry-auth.ts';
import { followDockerLogs } from './docker-logs-follow.ts';
import { collectDockerOutput, containerOutput } from './docker-output.ts';
import { APP_PORT, checksOf, cloneOptions, dynoAddress, dynoOptions, joinNetworks, type DynoAddress, type DynoPlacement } from './docker-dyno.ts';
import { watchContainerEvents } from './docker-events.ts';
import { waitHealthy } from './docker-health.ts';
import { pullImage } from '../../common/docker-pull.ts';
import { createOneOff, localOneOff, oneOffInfo, runOneOff, type OneOffDeps } from './docker-one-off.ts';
import { createSelfHeal, type DynoTracker } from './docker-self-heal.ts';
import { DEFAULT_DYNO_CPU, ensureAppNetwork, removeAppNetwork } from './dyno-hardening.ts';
import { allDynos, rollingRestart, scalePlan } from './scale-plan.ts';
import { backendKey } from '../../common/route-acks.ts';
import type { RouteTable } from '../../common/routes.ts';
import { ONE_OFF, type Dyno, type DynoChecks, type DynoLogLine, type DynoState, type LogOptions, type OutputOptions, type DynoOutputLine, type ProcessSpec, type ReleaseSpec, type Scheduler } from './types.ts';

export { processCommand } from './docker-dyno.ts';

export interface DockerSchedulerOptions {
  docker: Dockerode;
  /** Label key marking every container of this platform (value "1"); sub-labels are "<label>.app" etc. */
  label: string;
  /** host:port of the registry images are pulled from. */
  registry: string;
  registryAuth?: RegistryAuth | null;
  /** Defaults for containers whose release spec (or labels) carry no checks. */
  bootTimeoutSec: number;
  /** Seconds between SIGTERM and SIGKILL when retiring a dyno (default 30). */
  stopGraceSec?: number;
  healthPath?: string;
  /** CPU quota of each dyno in CPUs (default 1) and its weight (default 1024). */
  cpus?: number;
  cpuShares?: number;
  log?: (line: string) => void;
  /** The route table the routers used when this controller started (null: unknown). A running
   *  web dyno of an app in it, but not routed in it, was started by a controller that died
   *  before its health check passed: it is checked before it is routed. Dynos routed in it
   *  (and all of them when there is no table) are re-adopted as they were. */
  lastRoutes?: RouteTable | null;
}

export function createDockerScheduler(opts: DockerSchedulerOptions): Scheduler {
  const { docker, label } = opts;
  const log = opts.log ?? ((line: string) => console.error(`scheduler: ${line}`));
  const defaults: DynoChecks = { healthPath: opts.healthPath ?? '/', bootTimeoutSec: opts.bootTimeoutSec, graceSec: opts.stopGraceSec ?? 30 };
  const track: DynoTracker = { launching: new Set(), stopping: new Set() };
  /** Web dynos restarted outside our own actions whose health check is under way. */
  const checking = new Set<string>();
  /** The network endpoint on which a web dyno last passed its health check: a dyno Docker
   *  restarted has a new one and is not "up" (routed) again until it passed the check on it. */
  const healthyEndpoint = new Map<string, string>();
  const listeners = new Set<() => void>();
  /** Apps this controller manages (it asked about them): other platforms may share the label
   *  (test runs do), and their dynos are theirs to heal. */
  const ownApps = new Set<string>();
  const notify = (): void => { for (const fn of listeners) fn(); };
  const heal = createSelfHeal({ docker, label, track, notify, log, owns: (app) => ownApps.has(app) });
  let watcher: { close(): void } | null = null;

  const L = (k: string): string => `${label}.${k}`;
  /** Backends ("host:port") routed per app in opts.lastRoutes. */
  const routedBackends = new Map<string, Set<string>>();
  for (const a of opts.lastRoutes?.apps ?? []) routedBackends.set(a.app, new Set(a.backends.map(backendKey)));
  /** A running web dyno seen for the first time: was it healthy (routed) when the last controller
   *  stopped? At its address, or (a dyno created before dynos were reached on their network)
   *  at the loopback port it publishes. */
  const wasRouted = (c: Dockerode.ContainerInfo, addr: DynoAddress): boolean => {
    const routed = routedBackends.get(c.Labels[L('app')]);
    const published = c.Ports.find((p) => p.PrivatePort === APP_PORT && p.PublicPort)?.PublicPort;
    return routed === undefined || routed.has(backendKey({ host: addr.host, port: APP_PORT }))
      || (published !== undefined && routed.has(backendKey({ host: '127.0.0.1', port: published })));
  };
  const checksFor = (labels: Record<string, string>): DynoChecks => checksOf(label, labels, defaults);

  const pull = (image: string): Promise<void> => pullImage(docker, image, dockerAuthConfig(opts.registry, opts.registryAuth ?? null));
  const cpu = { cpus: opts.cpus ?? DEFAULT_DYNO_CPU.cpus, cpuShares: opts.cpuShares ?? DEFAULT_DYNO_CPU.cpuShares };
  /** The app's own network (made on first use) and the CPU limits, for a new container. */
  const placement = async (app: string): Promise<DynoPlacement> => ({ label, network: await ensureAppNetwork(docker, label, app), cpu });

  /** SIGTERM, SIGKILL after graceSec, then remove. */
  async function remove(id: string, graceSec: number): Promise<void> {
    const c = docker.getContainer(id);
    track.stopping.add(id);
    heal.forget(id);
    try {
      try { await c.stop({ t: graceSec }); } catch { /* already stopped */ }
      try { await c.remove({ force: true }); } catch { /* already gone */ }
    } finally {
      track.stopping.delete(id);
      healthyEndpoint.delete(id);
    }
  }

  /** A web dyno restarted by Docker (or by self-healing) is routed again only once healthy. */
  async function recheck(id: string): Promise<void> {
    if (track.launching.has(id) || track.stopping.has(id) || checking.has(id)) return;
    checking.add(id);
    notify();
    try {
      const c = docker.getContainer(id);
      const info = await c.inspect();
      if (info.Config.Labels[L('type')] !== 'web' || !ownApps.has(info.Config.Labels[L('app')])) return;
      const name = `${info.Config.Labels[L('app')]} ${info.Config.Labels[L('dyno')]}`;
      healthyEndpoint.set(id, (await waitHealthy(c, name, checksFor(info.Config.Labels), () => undefined, true)).endpoint);
    } catch (err) {
      if (!track.stopping.has(id)) log(`health check after a restart: ${errorMessage(err).split('\n')[0]}`);
    } finally {
      checking.delete(id);
      notify();
    }
  }

  function stateOf(c: Dockerode.ContainerInfo, addr: DynoAddress | null): DynoState {
    if (track.stopping.has(c.Id)) return 'stopping';
    if (track.launching.has(c.Id) || checking.has(c.Id)) return 'starting';
    if (c.State === 'running') {
      if (c.Labels[L('type')] !== 'web' || addr === null) return 'up';
      const known = healthyEndpoint.get(c.Id);
      if (known === undefined) {
        if (wasRouted(c, addr)) { healthyEndpoint.set(c.Id, addr.endpoint); return 'up'; } // re-adopted as it was
        ownApps.add(c.Labels[L('app')]);
        if (!checking.has(c.Id)) log(`${c.Labels[L('app')]} ${c.Labels[L('dyno')]} runs but was never routed: health-checking it first`);
        void recheck(c.Id); // started, never found healthy: checked first
        return 'starting';
      }
      if (known === addr.endpoint || !ownApps.has(c.Labels[L('app')])) return 'up';
      void recheck(c.Id); // restarted since its last check: a new endpoint, not yet healthy
      return 'starting';
    }
    if (c.State === 'restarting') return 'restarting';
    if (c.State === 'created') return 'starting';
    if (c.State === 'exited' || c.State === 'dead') return heal.pending(c.Id) ? 'restarting' : 'crashed';
    return 'down';
  }

  async function list(app?: string): Promise<Dyno[]> {
    if (app) ownApps.add(app);
    // Dynos only: build containers carry the platform label and <label>.app too.
    const filters = { label: [`${label}=1`, L('dyno'), ...(app ? [`${L('app')}=${app}`] : [])] };
    const infos = await docker.listContainers({ all: true, filters });
    return infos.map((c): Dyno => {
      const addr = c.Labels[L('type')] === 'web' ? dynoAddress(c.HostConfig?.NetworkMode, c.NetworkSettings?.Networks) : null;
      return {
        id: c.Id,
        app: c.Labels[L('app')],
        name: c.Labels[L('dyno')],
        type: c.Labels[L('type')],
        release: Number(c.Labels[L('release')]),
        state: stateOf(c, addr),
        host: addr?.host ?? null,
        port: addr === null ? null : APP_PORT,
        startedAt: c.Created ? new Date(c.Created * 1000).toISOString() : null,
        node: os.hostname(),
        oneOff: oneOffInfo(label, c.Labels),
      };
    });
  }

  /** Starts a container and, for web, waits for its health check; removes it on failure. */
  async function boot(c: Dockerode.Container, name: string, web: boolean, checks: DynoChecks, log: (l: string) => void): Promise<void> {
    track.launching.add(c.id);
    try {
      await c.start();
      if (web) healthyEndpoint.set(c.id, (await waitHealthy(c, name, checks, log)).endpoint);
    } finally {
      track.launching.delete(c.id);
    }
  }

  /** Starts the given dynos of a release; all healthy, or none left behind. */
  async function launch(spec: ReleaseSpec, wanted: Array<{ proc: ProcessSpec; index: number }>, log: (l: string) => void): Promise<Dyno[]> {
    ownApps.add(spec.app);
    if (wanted.length === 0) return [];
    await pull(spec.image);
    const place = await placement(spec.app);
    const checks = spec.checks ?? defaults;
    const started: Dockerode.Container[] = [];
    try {
      const results = await Promise.allSettled(wanted.map(async ({ proc, index }) => {
        const name = `${proc.type}.${index}`;
        const options = dynoOptions(place, spec, proc, index, false);
        const c = await docker.createContainer(options);
        started.push(c);
        await joinNetworks(docker, label, c.id, options.Labels ?? {});
        track.launching.add(c.id); // before start: its start event must not look like a restart
        await boot(c, name, proc.type === 'web', checks, log);
        log(`${name} is up`);
      }));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    } catch (err) {
      await Promise.all(started.map((c) => remove(c.id, 0)));
      throw err;
    }
    const ids = new Set(started.map((c) => c.id));
    return (await list(spec.app)).filter((d) => ids.has(d.id));
  }

  async function start(spec: ReleaseSpec, log: (l: string) => void): Promise<Dyno[]> {
    return launch(spec, allDynos(spec.processes), log);
  }

  /** Takes dynos out of routing, lets syncRoutes drain them, then stops them with their grace. */
  async function stopAll(dynos: Dyno[], syncRoutes: (() => Promise<void>) | undefined, log: (l: string) => void): Promise<void> {
    if (dynos.length === 0) return;
    for (const d of dynos) track.stopping.add(d.id);
    try {
      if (syncRoutes) await syncRoutes();
      const graces = await Promise.all(dynos.map(async (d) => {
        try { return checksFor((await docker.getContainer(d.id).inspect()).Config.Labels).graceSec; } catch { return 0; }
      }));
      await Promise.all(dynos.map(async (d, i) => {
        await remove(d.id, graces[i]);
        log(`${d.name} stopped`);
      }));
    } finally {
      for (const d of dynos) track.stopping.delete(d.id);
    }
  }

  async function scale(spec: ReleaseSpec, log: (l: string) => void, syncRoutes?: () => Promise<void>): Promise<void> {
    const plan = scalePlan((await list(spec.app)).filter((d) => d.release === spec.release && d.state !== 'stopping'), spec.processes);
    for (const d of plan.crashed) await heal.check(d.id); // stopped while nobody watched
    await launch(spec, plan.wanted, log);
    await stopAll(plan.extra, syncRoutes, log);
  }

  async function retire(app: string, keepRelease: number | null, syncRoutes?: () => Promise<void>): Promise<void> {
    const dynos = (await list(app)).filter((d) => d.release !== keepRelease && d.type !== ONE_OFF && d.state !== 'stopping');
    await stopAll(dynos, syncRoutes, () => undefined);
  }

  async function logs(app: string, lopts: LogOptions, emit: (l: DynoLogLine) => void): Promise<void> {
    const matches = (d: Dyno): boolean => !lopts.dyno || d.name === lopts.dyno || d.type === lopts.dyno;
    // One-offs are not in it: an attached run's output goes to its client, a detached run's to
    // the app's log stream (services/one-off-runs.ts), which outlives the dyno.
    const targets = async () => (await list(app)).filter((d) => d.type !== ONE_OFF && matches(d)).map((d) => ({ id: d.id, dyno: d.name, running: d.state === 'up' || d.state === 'starting' || d.state === 'stopping' }));
    await followDockerLogs(docker, targets, lopts, emit);
  }

  async function output(oopts: OutputOptions, emit: (l: DynoOutputLine) => void): Promise<void> {
    const targets = async () => (await list()).filter((d) => d.type !== ONE_OFF).map((d) => ({ id: d.id, app: d.app, dyno: d.name, running: d.state === 'up' || d.state === 'starting' || d.state === 'stopping' }));
    await collectDockerOutput(docker, targets, oopts, emit, containerOutput(docker));
  }

  /** A rolling restart of one web dyno: surge a copy, route it, drain and stop the old one. */
  async function replace(d: Dyno, syncRoutes: () => Promise<void>): Promise<void> {
    const old = docker.getContainer(d.id);
    const info = await old.inspect();
    const c = await docker.createContainer(cloneOptions(await placement(d.app), info));
    track.launching.add(c.id);
    try {
      await joinNetworks(docker, label, c.id, info.Config.Labels);
      await boot(c, d.name, true, checksFor(info.Config.Labels), () => undefined);
    } catch (err) {
      await remove(c.id, 0);
      throw err;
    }
    await syncRoutes();
    await stopAll([d], syncRoutes, () => undefined);
  }

  async function restartInPlace(d: Dyno): Promise<void> {
    const c = docker.getContainer(d.id);
    track.launching.add(d.id);
    try {
      await c.restart({ t: checksFor((await c.inspect()).Config.Labels).graceSec });
    } finally {
      track.launching.delete(d.id);
    }
  }

  const restart: Scheduler['restart'] = async (app, filter, syncRoutes) =>
    rollingRestart(await list(app), filter, { replace: (d) => replace(d, syncRoutes), inPlace: restartInPlace, syncRoutes });

  async function destroy(app: string): Promise<void> {
    const dynos = await list(app);
    ownApps.delete(app);
    await Promise.all(dynos.map((d) => remove(d.id, 0)));
    await removeAppNetwork(docker, label, app);
    // The engine's copies of the app's images (pulled releases and local build results), by
    // tag: an image another app's tag also names (a renamed app's copy) stays for that app.
    const repo = `${opts.registry}/${app}:`;
    const images = await docker.listImages({ filters: { reference: [`${opts.registry}/${app}`] } });
    for (const tag of images.flatMap((img) => img.RepoTags ?? []).filter((t) => t.startsWith(repo))) {
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  }

  function watch(): void {
    watcher ??= watchContainerEvents(docker, [`${label}=1`, L('dyno')], ['start', 'die', 'restart', 'destroy'], (e) => {
      if (e.action === 'start') void recheck(e.id);
      else if (e.action === 'die') void heal.check(e.id);
      else if (e.action === 'destroy') { heal.forget(e.id); healthyEndpoint.delete(e.id); }
      notify();
    });
  }

  const oneOffDeps: OneOffDeps = { docker, label, placement, pull, list, naming: createKeyedMutex() };
  return {
    start,
    scale,
    logs,
    output,
    run: (spec, ropts, output) => runOneOff(oneOffDeps, spec, ropts, output),
    createOneOff: (spec, oopts) => createOneOff(oneOffDeps, spec, oopts),
    oneOff: localOneOff(docker),
    restart,
    retire,
    list,
    destroy,
    async nodes() {
      const dynos = (await list()).filter((d) => d.state === 'up' || d.state === 'starting');
      return [{ id: 'local', name: os.hostname(), address: '127.0.0.1', role: 'manager', state: 'ready', availability: 'active', dynos: dynos.length, self: true }];
    },
    async setNodeAvailability() { throw new NotAClusterError(); },
    onChange(fn) {
      listeners.add(fn);
      watch();
      return () => listeners.delete(fn);
    },
    async close() {
      watcher?.close();
      watcher = null;
      heal.close();
      listeners.clear();
    },
  };
}
