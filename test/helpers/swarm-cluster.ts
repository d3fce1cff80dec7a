// A real Docker Swarm for tests and benches: the host's engine as the manager (initialised
// through controller/scheduler/swarm-setup.ts, advertised on the default-route address) and
// worker engines in containers of paas/swarm-node (builder/swarm-node-image.ts) on a bridge
// network of their own. The workers pull from the platform's registry at 127.0.0.1:<port> as
// the manager does: socat in each worker forwards it to a relay this helper runs on the
// network's gateway address only (the registry itself stays on loopback).
// Everything it makes carries the label SWARM_TEST_LABEL; stop() (and removeSwarmLeftovers()
// before a run) removes the workers, leaves the swarm and removes docker_gwbridge. One cluster
// at a time per machine (a lock): swarm tests of other checkouts wait for it.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { ensureSwarmNodeImage } from '../../builder/swarm-node-image.ts';
import { ensureSwarmManager, type SwarmManager } from '../../controller/scheduler/swarm-setup.ts';

export const SWARM_TEST_LABEL = 'paas.swarm-test';

export interface SwarmWorker { name: string; containerId: string; addr: string }

export interface SwarmCluster {
  manager: SwarmManager;
  workers: SwarmWorker[];
  /** Pulls an image on every worker (a bench warming the nodes' layer caches). */
  pullOnWorkers(image: string, auth?: { username: string; password: string } | null): Promise<void>;
  /** Removes a worker's container (its engine and dynos die with it): a lost machine. */
  killWorker(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a command in a container; resolves with its exit code and output. */
export async function execIn(docker: Dockerode, id: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const sink = new PassThrough();
  let output = '';
  sink.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => { stream.on('end', resolve); stream.on('close', resolve); });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, output };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One swarm per engine: test files and benches of several checkouts may run at once, so a
 *  cluster is made only under this machine-wide lock (a directory holding the owner's pid; a
 *  dead owner's lock is taken over). Resolves with its release. */
async function lockEngineSwarm(timeoutMs = 15 * 60_000): Promise<() => void> {
  const dir = path.join(os.tmpdir(), 'paas-swarm-test.lock');
  const pidFile = path.join(dir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(pidFile, String(process.pid));
      return () => {
        let owner = '';
        try { owner = fs.readFileSync(pidFile, 'utf8').trim(); } catch { return; }
        if (owner === String(process.pid)) fs.rmSync(dir, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try { owner = Number(fs.readFileSync(pidFile, 'utf8').trim()); } catch { /* not written yet, or just released */ }
    const young = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000;
    const alive = owner > 0 && (() => { try { process.kill(owner, 0); return true; } catch { return false; } })();
    if (!alive && !young) fs.rmSync(dir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`another test's swarm (pid ${owner}) still holds the engine after ${timeoutMs / 1000} s`);
    else await sleep(1000);
  }
}

/** Leaves the swarm this helper made (never another one), removes its workers and networks. */
export async function removeSwarmLeftovers(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [SWARM_TEST_LABEL] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  if (info.Swarm?.LocalNodeState !== 'inactive') {
    const spec = ((await docker.swarmInspect().catch(() => null)) as { Spec?: { Labels?: Record<string, string> } } | null)?.Spec;
    if (spec && spec.Labels?.[SWARM_TEST_LABEL] !== '1') throw new Error('the Docker engine is in a swarm a test did not make: not touching it');
    await docker.swarmLeave({ force: true });
  }
  // Swarm leaves its bridge behind (no container of a swarm uses it once the engine left).
  await docker.getNetwork('docker_gwbridge').remove().catch(() => undefined);
  const networks = await docker.listNetworks({ filters: { label: [SWARM_TEST_LABEL] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
}

/** A TCP relay from host:0 to the registry; resolves with its port. */
function startRelay(host: string, registry: string): Promise<net.Server> {
  const [rhost, rport] = [registry.slice(0, registry.lastIndexOf(':')), Number(registry.slice(registry.lastIndexOf(':') + 1))];
  const server = net.createServer((client) => {
    const upstream = net.connect(rport, rhost);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

export interface NodeContainerOptions {
  docker: Dockerode;
  image: string;
  network: { id: string; name: string };
  /** host:port of the registry relay on the network's gateway; the registry's port on loopback. */
  relay: string;
  registryPort: string;
  labels: Record<string, string>;
  container: string;
  hostname: string;
  /** A fixed address on the network (its subnet must be the network's own). */
  ip?: string;
  binds?: string[];
  /** Replaces the image's entrypoint (socat + dockerd as PID 1): the manager's engine is
   *  started by startNodeEngine so that it can be restarted inside a container that stays. */
  entrypoint?: string[];
}

/** The node's engine: dynos get no-new-privileges by default (the services API of this Docker
 *  version cannot ask for it per service). */
export const NODE_ENGINE_ARGS = ['--no-new-privileges', '--log-level=warn'];

/** Creates and starts a Docker engine in a container of paas/swarm-node on the network. */
export async function startNodeContainer(o: NodeContainerOptions): Promise<{ containerId: string; addr: string }> {
  const c = await o.docker.createContainer({
    name: o.container,
    Hostname: o.hostname,
    Image: o.image,
    Env: [`REGISTRY_RELAY=${o.relay}`, `REGISTRY_PORT=${o.registryPort}`],
    ...(o.entrypoint ? { Entrypoint: o.entrypoint, Cmd: [] } : { Cmd: NODE_ENGINE_ARGS }),
    Labels: o.labels,
    Volumes: { '/var/lib/docker': {} },
    HostConfig: {
      NetworkMode: o.network.id,
      CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      DeviceCgroupRules: ['a *:* rwm'],
      Tmpfs: { '/run': '' },
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup', ...(o.binds ?? [])],
      Init: Boolean(o.entrypoint),
    },
    ...(o.ip ? { NetworkingConfig: { EndpointsConfig: { [o.network.name]: { IPAMConfig: { IPv4Address: o.ip } } } } } : {}),
  });
  await c.start();
  const addr = ((await c.inspect()).NetworkSettings.Networks[o.network.name]?.IPAddress) ?? '';
  if (!o.entrypoint) await waitForNodeEngine(o.docker, c.id, o.hostname);
  return { containerId: c.id, addr };
}

/** Waits until the engine in a node container answers. */
export async function waitForNodeEngine(docker: Dockerode, containerId: string, name: string): Promise<void> {
  for (let t = 0; ; t++) {
    if ((await execIn(docker, containerId, ['docker', 'info', '--format', '{{.ID}}'])).code === 0) return;
    if (t > 100) throw new Error(`the engine in ${name} did not start`);
    await sleep(200);
  }
}

/** Joins a node container's engine to the swarm as a worker. */
export async function joinSwarm(docker: Dockerode, containerId: string, name: string, token: string, addr: string, managerAddr: string): Promise<void> {
  const joined = await execIn(docker, containerId, ['docker', 'swarm', 'join', '--token', token, '--advertise-addr', addr, managerAddr]);
  if (joined.code !== 0) throw new Error(`${name} could not join the swarm: ${joined.output.trim()}`);
}

/** Takes the machine-wide swarm lock and removes a previous run's leftovers; resolves with
 *  the lock's release. */
export async function claimSwarmEngine(docker: Dockerode): Promise<() => void> {
  const unlock = await lockEngineSwarm();
  try {
    await removeSwarmLeftovers(docker);
  } catch (err) {
    unlock();
    throw err;
  }
  return unlock;
}

export type NodeNetwork = Omit<NodeContainerOptions, 'container' | 'hostname' | 'ip' | 'binds' | 'entrypoint'>;

/** The nodes' bridge network and the registry relay on its gateway address only. */
export async function startNodeNetwork(o: { docker: Dockerode; image: string; name: string; labels: Record<string, string>; registry: string; onRelay: (relay: net.Server) => void }): Promise<NodeNetwork> {
  const network = await o.docker.createNetwork({ Name: o.name, Driver: 'bridge', Labels: o.labels });
  const gateway = (((await network.inspect()) as { IPAM: { Config: Array<{ Gateway?: string }> } }).IPAM.Config[0]?.Gateway ?? '').split('/')[0];
  if (!gateway) throw new Error('the nodes\' network has no gateway address');
  const relay = await startRelay(gateway, o.registry);
  o.onRelay(relay);
  return {
    docker: o.docker, image: o.image, network: { id: network.id, name: o.name }, relay: `${gateway}:${(relay.address() as net.AddressInfo).port}`,
    registryPort: o.registry.slice(o.registry.lastIndexOf(':') + 1), labels: o.labels,
  };
}

export async function startSwarmCluster(opts: {
  docker: Dockerode;
  workers: number;
  /** host:port of the platform's registry (loopback). */
  registry: string;
  /** Image the node image is made from (the stack build image). */
  baseImage: string;
  log?: (line: string) => void;
}): Promise<SwarmCluster> {
  const { docker } = opts;
  const log = opts.log ?? (() => undefined);
  const unlock = await claimSwarmEngine(docker);
  const image = await ensureSwarmNodeImage({ docker, baseImage: opts.baseImage, log });
  const id = randomBytes(3).toString('hex');
  const labels = { [SWARM_TEST_LABEL]: '1' };
  let relay: net.Server | null = null;
  const workers: SwarmWorker[] = [];

  const stop = async (): Promise<void> => {
    relay?.close();
    try {
      await removeSwarmLeftovers(docker);
    } finally {
      unlock();
    }
  };

  try {
    // A heartbeat of 1 s: a lost worker is noticed after a few seconds (default 5 s each).
    const manager = await ensureSwarmManager(docker, {
      advertiseAddr: '', log,
      spec: { Labels: labels, Dispatcher: { HeartbeatPeriod: 1_000_000_000 }, Orchestration: { TaskHistoryRetentionLimit: 3 } },
    });
    if (!manager.initialised) throw new Error('the engine was already in a swarm');
    const node = await startNodeNetwork({ docker, image, name: `paas-swarm-test-${id}`, labels, registry: opts.registry, onRelay: (r) => { relay = r; } });
    const token = ((await docker.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    await Promise.all(Array.from({ length: opts.workers }, async (_, i) => {
      const name = `swarm-worker-${i + 1}`;
      const { containerId, addr } = await startNodeContainer({ ...node, container: `paas-swarm-test-${id}-${i + 1}`, hostname: name });
      await joinSwarm(docker, containerId, name, token, addr, manager.managerAddr);
      workers.push({ name, containerId, addr });
    }));
    for (let t = 0; ; t++) {
      const nodes = (await docker.listNodes()) as Array<{ Status: { State: string } }>;
      if (nodes.length === opts.workers + 1 && nodes.every((n) => n.Status.State === 'ready')) break;
      if (t > 100) throw new Error(`the swarm's nodes are not ready: ${nodes.map((n) => n.Status.State).join(', ')}`);
      await sleep(200);
    }
    log(`swarm: manager ${manager.managerAddr}, workers ${workers.map((w) => `${w.name} ${w.addr}`).join(', ')}`);
    return {
      manager,
      workers,
      async pullOnWorkers(image, auth) {
        await Promise.all(workers.map(async (w) => {
          if (auth) await execIn(docker, w.containerId, ['docker', 'login', '-u', auth.username, '-p', auth.password, image.split('/')[0]]);
          const pulled = await execIn(docker, w.containerId, ['docker', 'pull', '-q', image]);
          if (pulled.code !== 0) throw new Error(`${w.name} could not pull ${image}: ${pulled.output.trim()}`);
        }));
      },
      async killWorker(name) {
        const w = workers.find((x) => x.name === name);
        if (!w) throw new Error(`no worker ${name}`);
        await docker.getContainer(w.containerId).remove({ force: true, v: true });
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
