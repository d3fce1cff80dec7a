// What confines a dyno, in one place for every driver (the Docker driver here, a Swarm driver's
// task template): a non-root user, no capabilities, no privilege gain, memory, CPU and pids
// limits, and the app's own network (common/isolated-network.ts), which reaches neither other
// apps nor the host.
import type Dockerode from 'dockerode';
import { ensureTenantNetwork, removeTenantNetwork } from '../../common/isolated-network.ts';

/** The user every dyno runs as (the stack's `paas` user). */
export const DYNO_USER = '1000:1000';
/** Most processes (threads included) one dyno may have. */
export const DYNO_PIDS_LIMIT = 512;
export const MiB = 1024 * 1024;

export interface DynoLimits {
  memoryMb: number;
  /** CPU quota in CPUs (1.5 = one and a half). */
  cpus: number;
  /** Relative weight under contention (Docker's default is 1024). */
  cpuShares: number;
}

export const DEFAULT_DYNO_CPU = { cpus: 1, cpuShares: 1024 };

/** The confinement part of a dyno's HostConfig. */
export function dynoConfinement(limits: DynoLimits, network: string): Dockerode.HostConfig {
  const memory = limits.memoryMb * MiB;
  return {
    NetworkMode: network,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(limits.cpus * 1e9),
    CpuShares: limits.cpuShares,
    PidsLimit: DYNO_PIDS_LIMIT,
    Init: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Privileged: false,
  };
}

/** Limits recorded on an existing container (a clone keeps them). */
export function limitsOf(host: Dockerode.HostConfig, fallback: DynoLimits): DynoLimits {
  return {
    memoryMb: host.Memory ? Math.round(host.Memory / MiB) : fallback.memoryMb,
    cpus: host.NanoCpus ? host.NanoCpus / 1e9 : fallback.cpus,
    cpuShares: host.CpuShares || fallback.cpuShares,
  };
}

/** Docker network of an app's dynos. */
export const appNetworkName = (label: string, app: string): string => `${label}-app-${app}`;

export function ensureAppNetwork(docker: Dockerode, label: string, app: string): Promise<string> {
  return ensureTenantNetwork({
    docker, name: appNetworkName(label, app), labels: { [label]: '1', [`${label}.app`]: app }, icc: true,
  });
}

export const removeAppNetwork = (docker: Dockerode, label: string, app: string): Promise<void> =>
  removeTenantNetwork(docker, appNetworkName(label, app));
