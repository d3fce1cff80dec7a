// What a dyno container looks like to Docker: its create options, its labels, and how the
// labels are read back (a restart or a re-adopted container carries its own settings).
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { DYNO_USER, dynoConfinement, limitsOf, type DynoLimits } from './dyno-hardening.ts';
import type { DynoChecks, ImageKind, ProcessSpec, ReleaseSpec } from './types.ts';

export { DYNO_PIDS_LIMIT, DYNO_USER, MiB } from './dyno-hardening.ts';

/** The port every dyno listens on inside its container ($PORT). */
export const APP_PORT = 5000;

/** CPU settings of the driver (config.dynoCpus, dynoCpuShares); memory comes with each release. */
export type CpuLimits = Omit<DynoLimits, 'memoryMb'>;

/** Where a new dyno container goes and how it is confined beyond its release's memory. */
export interface DynoPlacement {
  label: string;
  /** The app's network (dyno-hardening.ts ensureAppNetwork). */
  network: string;
  cpu: CpuLimits;
  /** Extra labels (a detached one-off's deadline). */
  labels?: Record<string, string>;
}

/** How a Procfile command line becomes the container's command (docs/builder.md): buildpack
 *  images have an ENTRYPOINT that sources .profile.d and runs its one argument with bash;
 *  Dockerfile images get `sh -c`; null keeps the image's own CMD. */
export function processCommand(kind: ImageKind, command: string | null): { Entrypoint?: string[]; Cmd?: string[] } {
  if (command === null) return {};
  return kind === 'buildpack' ? { Cmd: [command] } : { Entrypoint: ['/bin/sh', '-c'], Cmd: [command] };
}

export const containerName = (label: string, app: string, dyno: string, release: number): string =>
  `${label}-${app}-${dyno}-v${release}-${randomBytes(3).toString('hex')}`;

function hostConfig(limits: DynoLimits, network: string, oneOff: boolean): Dockerode.HostConfig {
  return {
    ...dynoConfinement(limits, network),
    // No published port: the router and the health check reach a web dyno at its address on
    // the app network (dynoAddress), not through docker-proxy (a userland copy of every request,
    // as much CPU as the router's own work, and a process per dyno). The app network itself
    // reaches nothing on the host.
    // Docker restarts a dyno whose process exits, with its own back-off (100 ms doubling, up to
    // 1 min, reset after 10 s up). A dyno stopped from outside (docker kill/stop) is restarted
    // by the scheduler's self-healing instead (docker-self-heal.ts).
    RestartPolicy: oneOff ? { Name: 'no' } : { Name: 'unless-stopped', MaximumRetryCount: 0 },
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
  };
}

/** The labels of a dyno (container or Swarm service): who it is and its checks. */
export function dynoLabels(label: string, spec: ReleaseSpec, proc: ProcessSpec, index: number): Record<string, string> {
  const L = (k: string): string => `${label}.${k}`;
  const checks: Record<string, string> = spec.checks ? {
    [L('health-path')]: spec.checks.healthPath,
    [L('boot-timeout')]: String(spec.checks.bootTimeoutSec),
    [L('grace')]: String(spec.checks.graceSec),
  } : {};
  const networks = spec.networks?.length ? { [L('networks')]: spec.networks.join(',') } : {};
  return { [label]: '1', [L('app')]: spec.app, [L('type')]: proc.type, [L('dyno')]: `${proc.type}.${index}`, [L('release')]: String(spec.release), ...checks, ...networks };
}

/** The environment of a dyno: the release's config, $PORT and $DYNO. */
export const dynoEnv = (spec: ReleaseSpec, dyno: string): string[] =>
  Object.entries({ ...spec.env, PORT: String(APP_PORT), DYNO: dyno }).map(([k, v]) => `${k}=${v}`);

export function dynoOptions(place: DynoPlacement, spec: ReleaseSpec, proc: ProcessSpec, index: number, oneOff: boolean): Dockerode.ContainerCreateOptions {
  const { label } = place;
  const name = `${proc.type}.${index}`;
  const web = proc.type === 'web';
  return {
    name: containerName(label, spec.app, name, spec.release),
    Image: spec.image,
    ...processCommand(spec.kind, proc.command),
    Env: dynoEnv(spec, name),
    User: DYNO_USER,
    Labels: { ...dynoLabels(label, spec, proc, index), ...place.labels },
    ExposedPorts: web ? { [`${APP_PORT}/tcp`]: {} } : undefined,
    HostConfig: hostConfig({ memoryMb: spec.memoryMb, ...place.cpu }, place.network, oneOff),
  };
}

/** Options for a second container identical to an existing dyno (a rolling restart's replacement). */
export function cloneOptions(place: DynoPlacement, info: Dockerode.ContainerInspectInfo): Dockerode.ContainerCreateOptions {
  const { label } = place;
  const labels = info.Config.Labels;
  return {
    name: containerName(label, labels[`${label}.app`], labels[`${label}.dyno`], Number(labels[`${label}.release`])),
    Image: info.Config.Image,
    Entrypoint: info.Config.Entrypoint ?? undefined,
    Cmd: info.Config.Cmd ?? undefined,
    Env: info.Config.Env,
    User: info.Config.User,
    Labels: labels,
    ExposedPorts: info.Config.ExposedPorts,
    HostConfig: hostConfig(limitsOf(info.HostConfig, { memoryMb: 512, ...place.cpu }), place.network, false),
  };
}

/** The checks recorded on a container, or the defaults for what is missing. */
export function checksOf(label: string, labels: Record<string, string>, defaults: DynoChecks): DynoChecks {
  const num = (v: string | undefined, d: number): number => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : d);
  return {
    healthPath: labels[`${label}.health-path`] || defaults.healthPath,
    bootTimeoutSec: num(labels[`${label}.boot-timeout`], defaults.bootTimeoutSec),
    graceSec: num(labels[`${label}.grace`], defaults.graceSec),
  };
}

/** Where a running dyno is reached (at APP_PORT): its address on the network it was created on
 *  (its app's), and that network endpoint's id, which is new each time the container starts (a
 *  dyno Docker restarted may get its address back, never its endpoint). */
export interface DynoAddress { host: string; endpoint: string }

/** A container's address on its own network, from list or inspect data; null while it is not running. */
export function dynoAddress(
  networkMode: string | undefined,
  networks: Record<string, { IPAddress?: string; EndpointID?: string }> | undefined,
): DynoAddress | null {
  const ep = networkMode === undefined ? undefined : networks?.[networkMode];
  return ep?.IPAddress && ep.EndpointID ? { host: ep.IPAddress, endpoint: ep.EndpointID } : null;
}

/** Connects a created (not yet started) dyno to the extra networks its labels name (add-on
 *  networks), so it can reach its add-ons from its first instruction on. */
export async function joinNetworks(docker: Dockerode, label: string, id: string, labels: Record<string, string | undefined>): Promise<void> {
  const names = (labels[`${label}.networks`] ?? '').split(',').filter(Boolean);
  for (const name of names) await docker.getNetwork(name).connect({ Container: id });
}
