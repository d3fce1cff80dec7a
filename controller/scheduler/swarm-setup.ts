// paasd with PAAS_SCHEDULER=swarm runs on a swarm manager: it initialises a single-node swarm
// when the engine is in none (and prints how other machines join), and refuses to start on a
// worker node, where the services API is not available.
import fs from 'node:fs';
import os from 'node:os';
import type Dockerode from 'dockerode';

export interface SwarmManager {
  /** The swarm was created now. */
  initialised: boolean;
  nodeId: string;
  /** Address and port other nodes join at. */
  managerAddr: string;
  /** The command a new worker machine runs to join. */
  joinCommand: string;
}

interface SwarmInfo { NodeID?: string; NodeAddr?: string; LocalNodeState?: string; ControlAvailable?: boolean; RemoteManagers?: Array<{ Addr: string }> | null }

/** IPv4 address of the interface with the default route (what `docker swarm init` should
 *  advertise on a machine with several interfaces), or null. */
export function defaultRouteAddress(): string | null {
  let iface: string | undefined;
  try {
    for (const line of fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [name, destination] = line.trim().split(/\s+/);
      if (destination === '00000000') { iface = name; break; }
    }
  } catch { return null; }
  return os.networkInterfaces()[iface ?? '']?.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? null;
}

export async function ensureSwarmManager(docker: Dockerode, opts: {
  /** Empty: defaultRouteAddress(). */
  advertiseAddr: string;
  log: (line: string) => void;
  /** Extra swarm spec for a new swarm (tests: labels, a short heartbeat). */
  spec?: Record<string, unknown>;
}): Promise<SwarmManager> {
  let swarm = ((await docker.info()) as { Swarm?: SwarmInfo }).Swarm ?? {};
  let initialised = false;
  if (swarm.LocalNodeState === 'active' && !swarm.ControlAvailable) {
    throw new Error('this Docker engine is a worker node of a swarm: with PAAS_SCHEDULER=swarm, paasd runs on a manager node '
      + '(run it there, or promote this node: `docker node promote` on a manager)');
  }
  if (swarm.LocalNodeState === 'inactive') {
    const addr = opts.advertiseAddr || defaultRouteAddress();
    if (!addr) throw new Error('no address to advertise to swarm nodes: set PAAS_SWARM_ADVERTISE_ADDR');
    opts.log(`-----> Initialising a single-node swarm on this engine (advertised at ${addr})`);
    await docker.swarmInit({ ListenAddr: `${addr}:2377`, AdvertiseAddr: addr, ...(opts.spec ? { Spec: opts.spec } : {}) });
    initialised = true;
    swarm = ((await docker.info()) as { Swarm?: SwarmInfo }).Swarm ?? {};
  }
  if (swarm.LocalNodeState !== 'active' || !swarm.NodeID) {
    throw new Error(`the Docker engine's swarm is ${swarm.LocalNodeState ?? 'unknown'}: it must be active (docker info; docs/scale-out.md)`);
  }
  const inspect = (await docker.swarmInspect()) as { JoinTokens: { Worker: string } };
  const managerAddr = swarm.RemoteManagers?.find((m) => m.Addr.startsWith(`${swarm.NodeAddr}:`))?.Addr ?? `${swarm.NodeAddr}:2377`;
  return {
    initialised,
    nodeId: swarm.NodeID,
    managerAddr,
    joinCommand: `docker swarm join --token ${inspect.JoinTokens.Worker} ${managerAddr}`,
  };
}
