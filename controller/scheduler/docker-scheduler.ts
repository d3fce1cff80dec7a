// Scheduler driver for one local Docker engine.
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { UserBuildError } from '../../common/errors.ts';
import { demuxDockerLog } from './docker-logs.ts';
import { followDockerLogs } from './docker-logs-follow.ts';
import { probe, sleep } from './health.ts';
import { ONE_OFF, type ImageKind, type Dyno, type DynoLogLine, type DynoState, type LogOptions, type ProcessSpec, type ReleaseSpec, type RunSpec, type Scheduler } from './types.ts';

export interface DockerSchedulerOptions {
  docker: Dockerode;
  /** Label key marking every container of this platform (value "1"); sub-labels are "<label>.app" etc. */
  label: string;
  /** host:port of the registry images are pulled from. */
  registry: string;
  bootTimeoutSec: number;
  /** Seconds between SIGTERM and SIGKILL when retiring a dyno. */
  stopGraceSec?: number;
}

const APP_PORT = 5000;

/** How a Procfile command line becomes the container's command (docs/builder.md): buildpack
 *  images have an ENTRYPOINT that sources .profile.d and runs its one argument with bash;
 *  Dockerfile images get `sh -c`; null keeps the image's own CMD. */
export function processCommand(kind: ImageKind, command: string | null): { Entrypoint?: string[]; Cmd?: string[] } {
  if (command === null) return {};
  return kind === 'buildpack' ? { Cmd: [command] } : { Entrypoint: ['/bin/sh', '-c'], Cmd: [command] };
}
const MiB = 1024 * 1024;

export function createDockerScheduler(opts: DockerSchedulerOptions): Scheduler {
  const { docker, label } = opts;
  const booting = new Set<string>();
  const listeners = new Set<() => void>();
  let events: NodeJS.ReadableStream | null = null;
  let closed = false;

  const L = (k: string): string => `${label}.${k}`;

  async function pull(image: string): Promise<void> {
    const stream = await docker.pull(image, { authconfig: { serveraddress: opts.registry } });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      });
    });
  }

  async function createDyno(spec: ReleaseSpec, proc: ProcessSpec, index: number, oneOff = false): Promise<Dockerode.Container> {
    const name = `${proc.type}.${index}`;
    const web = proc.type === 'web';
    const env = { ...spec.env, PORT: String(APP_PORT), DYNO: name };
    return docker.createContainer({
      name: `${label}-${spec.app}-${name}-v${spec.release}-${randomBytes(3).toString('hex')}`,
      Image: spec.image,
      ...processCommand(spec.kind, proc.command),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      User: '1000:1000',
      Labels: {
        [label]: '1', [L('app')]: spec.app, [L('type')]: proc.type, [L('dyno')]: name, [L('release')]: String(spec.release),
      },
      ExposedPorts: web ? { [`${APP_PORT}/tcp`]: {} } : undefined,
      HostConfig: {
        PortBindings: web ? { [`${APP_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
        Memory: spec.memoryMb * MiB,
        MemorySwap: spec.memoryMb * MiB,
        PidsLimit: 512,
        Init: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        RestartPolicy: oneOff ? { Name: 'no' } : { Name: 'unless-stopped', MaximumRetryCount: 0 },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
    });
  }

  async function tailLogs(c: Dockerode.Container): Promise<string> {
    try {
      const buf = (await c.logs({ stdout: true, stderr: true, tail: 15, follow: false })) as unknown as Buffer;
      return demuxDockerLog(buf).trim();
    } catch {
      return '';
    }
  }

  /** Waits until the web dyno answers HTTP with a non-5xx status; throws if it exits or times out. */
  async function waitHealthy(c: Dockerode.Container, name: string, log: (l: string) => void, restarted = false): Promise<void> {
    const deadline = Date.now() + opts.bootTimeoutSec * 1000;
    let announced = false;
    for (;;) {
      const info = await c.inspect();
      if (!info.State.Running || info.State.Restarting || (!restarted && info.RestartCount > 0)) {
        const logs = await tailLogs(c);
        throw new UserBuildError(`${name} exited during boot (status ${info.State.ExitCode})${logs ? `:\n${logs}` : ''}`);
      }
      const port = Number(info.NetworkSettings.Ports?.[`${APP_PORT}/tcp`]?.[0]?.HostPort);
      if (port) {
        const status = await probe('127.0.0.1', port, '/');
        if (status !== null && status < 500) return;
        if (status !== null && !announced) { log(`${name} answered ${status}, waiting for a non-5xx answer`); announced = true; }
      }
      if (Date.now() > deadline) {
        const logs = await tailLogs(c);
        throw new UserBuildError(`${name} did not answer HTTP on $PORT within ${opts.bootTimeoutSec}s${logs ? `:\n${logs}` : ''}`);
      }
      await sleep(150);
    }
  }

  async function remove(c: Dockerode.Container, graceSec: number): Promise<void> {
    try { await c.stop({ t: graceSec }); } catch { /* already stopped */ }
    try { await c.remove({ force: true }); } catch { /* already gone */ }
  }

  async function list(app?: string): Promise<Dyno[]> {
    const filters = { label: [`${label}=1`, ...(app ? [`${L('app')}=${app}`] : [])] };
    const infos = await docker.listContainers({ all: true, filters });
    return infos.map((c): Dyno => {
      const binding = c.Ports.find((p) => p.PrivatePort === APP_PORT && p.PublicPort);
      const state: DynoState = booting.has(c.Id) ? 'starting'
        : c.State === 'running' ? 'up'
        : c.State === 'restarting' ? 'restarting'
        : c.State === 'created' ? 'starting'
        : c.State === 'exited' || c.State === 'dead' ? 'crashed' : 'down';
      return {
        id: c.Id,
        app: c.Labels[L('app')],
        name: c.Labels[L('dyno')],
        type: c.Labels[L('type')],
        release: Number(c.Labels[L('release')]),
        state,
        host: binding ? '127.0.0.1' : null,
        port: binding ? binding.PublicPort : null,
        startedAt: c.Created ? new Date(c.Created * 1000).toISOString() : null,
      };
    });
  }

  /** Starts the given dynos of a release; all healthy, or none left behind. */
  async function launch(spec: ReleaseSpec, wanted: Array<{ proc: ProcessSpec; index: number }>, log: (l: string) => void): Promise<Dyno[]> {
    if (wanted.length === 0) return [];
    await pull(spec.image);
    const started: Dockerode.Container[] = [];
    try {
      const results = await Promise.allSettled(wanted.map(async ({ proc, index }) => {
        const name = `${proc.type}.${index}`;
        const c = await createDyno(spec, proc, index);
        started.push(c);
        booting.add(c.id);
        await c.start();
        if (proc.type === 'web') await waitHealthy(c, name, log);
        booting.delete(c.id);
        log(`${name} is up`);
      }));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    } catch (err) {
      await Promise.all(started.map((c) => remove(c, 0)));
      throw err;
    } finally {
      for (const c of started) booting.delete(c.id);
    }
    const ids = new Set(started.map((c) => c.id));
    return (await list(spec.app)).filter((d) => ids.has(d.id));
  }

  async function start(spec: ReleaseSpec, log: (l: string) => void): Promise<Dyno[]> {
    return launch(spec, spec.processes.flatMap((proc) => Array.from({ length: proc.quantity }, (_, i) => ({ proc, index: i + 1 }))), log);
  }

  async function scale(spec: ReleaseSpec, log: (l: string) => void, beforeStop?: () => Promise<void>): Promise<void> {
    const current = (await list(spec.app)).filter((d) => d.release === spec.release);
    const wanted: Array<{ proc: ProcessSpec; index: number }> = [];
    const extra: Dyno[] = [];
    for (const proc of spec.processes) {
      const have = new Set(current.filter((d) => d.type === proc.type).map((d) => Number(d.name.split('.')[1])));
      for (let i = 1; i <= proc.quantity; i++) if (!have.has(i)) wanted.push({ proc, index: i });
    }
    for (const d of current) {
      if (d.type === ONE_OFF) continue;
      const proc = spec.processes.find((p) => p.type === d.type);
      if (!proc || Number(d.name.split('.')[1]) > proc.quantity) extra.push(d);
    }
    await launch(spec, wanted, log);
    for (const d of extra) booting.add(d.id); // no longer routable while it drains
    try {
      if (beforeStop) await beforeStop();
      await Promise.all(extra.map(async (d) => {
        await remove(docker.getContainer(d.id), opts.stopGraceSec ?? 10);
        log(`${d.name} stopped`);
      }));
    } finally {
      for (const d of extra) booting.delete(d.id);
    }
  }

  async function retire(app: string, keepRelease: number | null): Promise<void> {
    const dynos = (await list(app)).filter((d) => d.release !== keepRelease && d.type !== ONE_OFF);
    await Promise.all(dynos.map((d) => remove(docker.getContainer(d.id), opts.stopGraceSec ?? 10)));
  }

  async function logs(app: string, lopts: LogOptions, emit: (l: DynoLogLine) => void): Promise<void> {
    const matches = (d: Dyno): boolean => !lopts.dyno || d.name === lopts.dyno || d.type === lopts.dyno;
    const targets = async () => (await list(app)).filter(matches).map((d) => ({ id: d.id, dyno: d.name, running: d.state === 'up' || d.state === 'starting' }));
    await followDockerLogs(docker, targets, lopts, emit);
  }

  async function runOneOff(spec: RunSpec, ropts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }> {
    await pull(spec.image);
    const used = new Set((await list(spec.app)).filter((d) => d.type === ONE_OFF).map((d) => Number(d.name.split('.')[1])));
    let index = 1;
    while (used.has(index)) index++;
    const name = `${ONE_OFF}.${index}`;
    const release: ReleaseSpec = { ...spec, processes: [] };
    const c = await createDyno(release, { type: ONE_OFF, command: spec.command, quantity: 1 }, index, true);
    if (!ropts.attach) {
      await c.start();
      // Detached one-offs remove themselves when they end.
      void c.wait().then(() => c.remove({ force: true })).catch(() => undefined);
      return { name, exitCode: null };
    }
    try {
      const stream = (await c.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
      const sink = new PassThrough();
      docker.modem.demuxStream(stream, sink, sink);
      sink.on('data', (chunk: Buffer) => output(chunk.toString('utf8')));
      const onAbort = (): void => { void c.kill().catch(() => undefined); };
      ropts.signal.addEventListener('abort', onAbort);
      await c.start();
      const result = (await c.wait()) as { StatusCode: number };
      ropts.signal.removeEventListener('abort', onAbort);
      await new Promise((r) => setTimeout(r, 50)); // let the last output drain
      return { name, exitCode: result.StatusCode };
    } finally {
      await c.remove({ force: true }).catch(() => undefined);
    }
  }

  async function restart(app: string, filter: string | undefined, routingChanged: () => Promise<void>): Promise<string[]> {
    const dynos = (await list(app))
      .filter((d) => d.type !== ONE_OFF && (!filter || d.name === filter || d.type === filter))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const d of dynos) {
      const c = docker.getContainer(d.id);
      booting.add(d.id);
      try {
        await routingChanged();
        await c.restart({ t: opts.stopGraceSec ?? 10 });
        if (d.type === 'web') await waitHealthy(c, d.name, () => undefined, true);
      } finally {
        booting.delete(d.id);
      }
      await routingChanged();
    }
    return dynos.map((d) => d.name);
  }

  async function destroy(app: string): Promise<void> {
    const dynos = await list(app);
    await Promise.all(dynos.map((d) => remove(docker.getContainer(d.id), 0)));
    // The engine's copies of the app's images (pulled releases and local build results).
    const images = await docker.listImages({ filters: { reference: [`${opts.registry}/${app}`] } });
    for (const img of images) {
      await docker.getImage(img.Id).remove({ force: true }).catch(() => undefined);
    }
  }

  async function watch(): Promise<void> {
    if (closed) return;
    try {
      const filters = { type: ['container' as const], label: [`${label}=1`], event: ['start', 'die', 'restart'] };
      events = (await docker.getEvents({ filters })) as NodeJS.ReadableStream;
      events.on('data', () => { for (const fn of listeners) fn(); });
      events.on('end', () => { events = null; if (!closed) setTimeout(() => void watch(), 1000); });
      events.on('error', () => { /* 'end' follows */ });
    } catch {
      if (!closed) setTimeout(() => void watch(), 1000);
    }
  }

  return {
    start,
    scale,
    logs,
    run: runOneOff,
    restart,
    retire,
    list,
    destroy,
    onChange(fn) {
      listeners.add(fn);
      if (!events) void watch();
      return () => listeners.delete(fn);
    },
    async close() {
      closed = true;
      listeners.clear();
      const stream = events as unknown as { destroy?: () => void } | null;
      stream?.destroy?.();
      events = null;
    },
  };
}
