// The Docker side of an add-on: its volume, its own internal network (only the dynos of the apps
// it is attached to join it; nothing is published on the host), its server container, commands
// run inside it, and throw-away job containers on its network (backups, restores, psql).
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { ADDON_SERVICES, type AddonService } from '../../common/addon-catalog.ts';
import type { Addon } from '../store/addons.ts';
import { freeSubnet, serverAddress } from './addon-subnets.ts';

const MiB = 1024 * 1024;
/** Most output a job or exec keeps (its tail). */
const OUTPUT_LIMIT = 1024 * 1024;

export interface AddonDockerDeps {
  docker: Dockerode;
  label: string;
  /** Pool of the add-on networks' subnets (config.addonSubnets). */
  subnets: string;
  /** This controller's id, on the job and client containers it makes: a controller that starts
   *  removes those another one left, never its own. */
  instance?: string;
}

/** Labels of a job or client container: the add-on's, its role, and the controller's id. */
export const transientLabels = (deps: AddonDockerDeps, addon: Addon, role: string): Record<string, string> =>
  ({ ...addonLabels(deps.label, addon, role), [`${deps.label}.addon-controller`]: deps.instance ?? '' });

/** The host in an add-on's URLs: its server's fixed address (its name on older add-ons). */
export const serverHost = (addon: Addon): string => addon.credentials.host ?? addon.name;

/** The add-on's network, made with its own /26 (the one it had, when it is made again). */
async function ensureNetwork(deps: AddonDockerDeps, addon: Addon, labels: Record<string, string>): Promise<string> {
  const network = deps.docker.getNetwork(networkName(deps.label, addon));
  const info = await network.inspect().catch(() => null) as { IPAM?: { Config?: Array<{ Subnet?: string }> } } | null;
  const existing = info?.IPAM?.Config?.[0]?.Subnet;
  if (existing) return existing;
  for (let attempt = 0; ; attempt++) {
    const used = (await deps.docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter(Boolean);
    const subnet = addon.credentials.subnet ?? freeSubnet(deps.subnets, used);
    if (!subnet) throw new Error(`no free /26 left in PAAS_ADDON_SUBNETS (${deps.subnets}) for another add-on network`);
    try {
      await deps.docker.createNetwork({
        Name: networkName(deps.label, addon), Internal: true, CheckDuplicate: true, Labels: labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      });
      return subnet;
    } catch (err) {
      // Another add-on (or network) took that subnet meanwhile: pick again.
      if (attempt >= 5 || addon.credentials.subnet || !/overlap/i.test(String((err as Error).message))) throw err;
    }
  }
}

export const serviceOf = (addon: Addon): AddonService => ADDON_SERVICES[addon.service];
const suffix = (addon: Addon): string => `${addon.name}-${addon.id.slice(0, 8)}`;
export const networkName = (label: string, addon: Addon): string => `${label}-addon-${suffix(addon)}`;
export const containerName = (label: string, addon: Addon): string => `${label}-addon-${suffix(addon)}`;
export const volumeName = (label: string, addon: Addon): string => `${label}-addon-${suffix(addon)}`;

/** Labels of everything an add-on owns. The value of `<label>` is "addon", not "1": dyno and
 *  build code that looks for `<label>=1` never mistakes an add-on container for its own. */
export function addonLabels(label: string, addon: Addon, role: string): Record<string, string> {
  return { [label]: 'addon', [`${label}.addon`]: addon.name, [`${label}.addon-id`]: addon.id, [`${label}.addon-role`]: role };
}

function serverEnv(addon: Addon): string[] {
  const c = addon.credentials;
  return addon.service === 'heroku-postgresql'
    ? [`PAAS_DB_USER=${c.user}`, `PAAS_DB_PASSWORD=${c.password}`, `PAAS_DB_NAME=${c.database}`]
    : [`PAAS_REDIS_PASSWORD=${c.password}`];
}

/** Creates (if missing) the network and the server container, and starts it; returns the
 *  network's subnet and the server's address. The volume is made only when provisioning: a
 *  volume gone later is an error (its data is lost), never silently an empty database. */
export async function ensureServer(deps: AddonDockerDeps, addon: Addon, opts: { provisioning?: boolean } = {}): Promise<{ subnet: string; host: string }> {
  const { docker, label } = deps;
  const service = serviceOf(addon);
  const labels = addonLabels(label, addon, 'server');
  await docker.getImage(service.image).inspect().catch(() => {
    throw new Error(`the add-on image ${service.image} is missing: run bin/setup (node builder/addon-images.ts)`);
  });
  const volume = volumeName(label, addon);
  const existing = await docker.getVolume(volume).inspect().catch(() => null);
  if (!existing && !opts.provisioning) throw new Error(`its data volume ${volume} is gone: the add-on's data is lost (restore a backup into a new add-on)`);
  if (!existing) await docker.createVolume({ Name: volume, Labels: labels });
  const network = networkName(label, addon);
  const subnet = await ensureNetwork(deps, addon, labels);
  const host = serverAddress(subnet);
  const name = containerName(label, addon);
  let container = docker.getContainer(name);
  const info = await container.inspect().catch(() => null);
  if (!info) {
    container = await docker.createContainer({
      name,
      Image: service.image,
      Env: serverEnv(addon),
      User: service.user,
      Labels: labels,
      HostConfig: {
        Binds: [`${volume}:${service.dataDir}`],
        NetworkMode: network,
        Memory: service.memoryMb * MiB,
        MemorySwap: service.memoryMb * MiB,
        PidsLimit: 256,
        ShmSize: 128 * MiB,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Init: true,
        // Docker restarts a server that exits; one stopped from outside is restarted by the
        // add-on supervisor (addons.ts).
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [addon.name], IPAMConfig: { IPv4Address: host } } } },
    });
  }
  if (!info?.State.Running) await container.start().catch((err: { statusCode?: number }) => { if (err.statusCode !== 304) throw err; });
  return { subnet, host };
}

/** Waits until the server accepts connections (checked from inside its container). */
export async function waitReady(deps: AddonDockerDeps, addon: Addon, timeoutMs = 60_000): Promise<void> {
  const c = addon.credentials;
  const check = addon.service === 'heroku-postgresql'
    ? { cmd: ['/usr/lib/postgresql/15/bin/pg_isready', '-q', '-h', '127.0.0.1', '-U', c.user, '-d', c.database], env: [] }
    : { cmd: ['redis-cli', '-h', '127.0.0.1', 'ping'], env: [`REDISCLI_AUTH=${c.password}`] };
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await execIn(deps, addon, check.cmd, check.env).catch((err: Error) => ({ exitCode: -1, output: err.message }));
    if (r.exitCode === 0 && (addon.service === 'heroku-postgresql' || r.output.includes('PONG'))) return;
    last = r.output.trim();
    await delay(100);
  }
  throw new Error(`${addon.name} did not accept connections within ${timeoutMs / 1000} s${last ? `: ${last}` : ''}`);
}

/** Runs a command inside the add-on's server container. */
export function execIn(deps: AddonDockerDeps, addon: Addon, cmd: string[], env: string[] = []): Promise<{ exitCode: number; output: string }> {
  return execInContainer(deps, containerName(deps.label, addon), cmd, env);
}

/** Runs a command inside a container (by name or id): its exit code and output. */
export async function execInContainer(deps: AddonDockerDeps, nameOrId: string, cmd: string[], env: string[] = []): Promise<{ exitCode: number; output: string }> {
  const container = deps.docker.getContainer(nameOrId);
  const exec = await container.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output = await collect(deps.docker, stream);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output };
}

async function collect(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<string> {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return out;
}

export interface JobSpec {
  cmd: string[];
  env: string[];
  /** host:container[:ro] bind mounts. */
  binds?: string[];
  /** Default: the service's own user. */
  user?: string;
  /** Fed to the job's stdin, then closed. */
  stdin?: string;
  timeoutMs: number;
  role: string;
}

/** A throw-away container from the add-on's image on the add-on's network: its exit code and
 *  output (stdout and stderr, the last MiB). Killed at the time limit, always removed. */
export async function runJob(deps: AddonDockerDeps, addon: Addon, job: JobSpec): Promise<{ exitCode: number; output: string }> {
  const { docker } = deps;
  const c = await createJob(deps, addon, job);
  try {
    const stream = (await c.attach({ stream: true, stdout: true, stderr: true, stdin: job.stdin !== undefined, hijack: job.stdin !== undefined })) as NodeJS.ReadWriteStream;
    const output = collect(docker, stream);
    await c.start();
    if (job.stdin !== undefined) stream.end(job.stdin);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), job.timeoutMs); });
    const result = await Promise.race([c.wait() as Promise<{ StatusCode: number }>, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await c.kill().catch(() => undefined);
      return { exitCode: 124, output: `${await Promise.race([output, delay(1000, '')])}\ntimed out after ${Math.round(job.timeoutMs / 1000)} s` };
    }
    return { exitCode: result.StatusCode, output: await Promise.race([output, delay(5000, '')]) };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** A job's container, created and not started: the add-on's image on the add-on's network,
 *  with limits (runJob runs one to its end; a job that serves, such as the Redis restore's
 *  temporary server, is started and removed by its caller). */
export function createJob(deps: AddonDockerDeps, addon: Addon, job: Omit<JobSpec, 'timeoutMs'>): Promise<Dockerode.Container> {
  const { docker, label } = deps;
  const service = serviceOf(addon);
  return docker.createContainer({
    Image: service.image,
    Entrypoint: job.cmd.slice(0, 1),
    Cmd: job.cmd.slice(1),
    Env: job.env,
    User: job.user ?? service.user,
    Labels: transientLabels(deps, addon, job.role),
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: job.stdin !== undefined,
    OpenStdin: job.stdin !== undefined,
    StdinOnce: job.stdin !== undefined,
    HostConfig: {
      Binds: job.binds ?? [],
      NetworkMode: networkName(label, addon),
      Memory: 512 * MiB,
      MemorySwap: 512 * MiB,
      PidsLimit: 128,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: true,
    },
  });
}

/** Stops and removes the server container, its network and its volume (the data is gone). */
export async function removeServer(deps: AddonDockerDeps, addon: Addon): Promise<void> {
  const { docker, label } = deps;
  const jobs = await docker.listContainers({ all: true, filters: { label: [`${label}.addon-id=${addon.id}`] } });
  await Promise.all(jobs.map((j) => docker.getContainer(j.Id).remove({ force: true }).catch(() => undefined)));
  const network = docker.getNetwork(networkName(label, addon));
  const attached = await network.inspect().then((n: { Containers?: Record<string, unknown> }) => Object.keys(n.Containers ?? {}), () => []);
  for (const id of attached) await network.disconnect({ Container: id, Force: true }).catch(() => undefined);
  await network.remove().catch((err: { statusCode?: number }) => { if (err.statusCode !== 404) throw err; });
  await docker.getVolume(volumeName(label, addon)).remove({ force: true }).catch((err: { statusCode?: number }) => { if (err.statusCode !== 404) throw err; });
}

/** "up", "restarting", "crashed" or "missing": what the engine says of the server container. */
export async function serverState(deps: AddonDockerDeps, addon: Addon): Promise<'up' | 'restarting' | 'crashed' | 'missing'> {
  const info = await deps.docker.getContainer(containerName(deps.label, addon)).inspect().catch(() => null);
  if (!info) return 'missing';
  if (info.State.Restarting) return 'restarting';
  return info.State.Running ? 'up' : 'crashed';
}
