// One-off dynos (run.1, run.2 …) on Docker: created with the release's image, environment and
// limits like any dyno, never routed; attached through a hijacked `docker attach` (stdin,
// stdout/stderr or a TTY), removed when they end.
import { randomInt } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import { dynoOptions, joinNetworks, type DynoPlacement } from './docker-dyno.ts';
import { DEFAULT_DYNO_CPU } from './dyno-hardening.ts';
import { sleep } from './health.ts';
import { ONE_OFF, type Dyno, type OneOffDyno, type OneOffInfo, type OneOffOptions, type OneOffOutput, type ReleaseSpec, type RunSpec } from './types.ts';

export interface OneOffDeps {
  docker: Dockerode;
  label: string;
  /** The app's network and CPU limits (the local driver's); absent: Docker's default bridge
   *  (or `network`) and the default CPU limits. */
  placement?(app: string): Promise<DynoPlacement>;
  pull(image: string): Promise<void>;
  list(app: string): Promise<Dyno[]>;
  /** Name picking and create, one at a time per app: two runs at once get two names. */
  naming: KeyedMutex;
  /** The network the one-off joins (a cluster app's attachable overlay); absent: the default. */
  network?(app: string): Promise<string | null>;
}

/** Seconds a hung-up process gets between SIGHUP and SIGKILL. */
const HANGUP_GRACE_MS = 3000;
/** Tries of a terminal resize, and the wait between them. */
const RESIZE_ATTEMPTS = 3;
const RESIZE_RETRY_MS = 200;
/** How long the last output may trail the exit (the attach stream ends after the process). */
const DRAIN_MS = 2000;

const oneOffLabels = (label: string, command: string, opts: OneOffOptions): Record<string, string> => ({
  [`${label}.command`]: command,
  [`${label}.size`]: opts.size,
  [`${label}.attached`]: opts.attached ? '1' : '0',
  [`${label}.tty`]: opts.tty ? '1' : '0',
  [`${label}.deadline`]: String(opts.deadline),
});

/** A one-off's settings from its labels (list()); undefined for other dynos. */
export function oneOffInfo(label: string, labels: Record<string, string>): OneOffInfo | undefined {
  if (labels[`${label}.type`] !== ONE_OFF) return undefined;
  return {
    command: labels[`${label}.command`] ?? '',
    size: labels[`${label}.size`] ?? 'standard-1X',
    attached: labels[`${label}.attached`] === '1',
    tty: labels[`${label}.tty`] === '1',
    deadline: Number(labels[`${label}.deadline`]) || Number.MAX_SAFE_INTEGER,
  };
}

export async function createOneOff(deps: OneOffDeps, spec: RunSpec, opts: OneOffOptions): Promise<OneOffDyno> {
  const { docker, label } = deps;
  await deps.pull(spec.image);
  return deps.naming.run(spec.app, async () => {
    // As Heroku: run.NNNN, a random number not in use, so that the log lines of an earlier
    // run (paas logs --dyno run.NNNN) are seldom another's.
    const used = new Set((await deps.list(spec.app)).filter((d) => d.type === ONE_OFF).map((d) => Number(d.name.split('.')[1])));
    let index = 1000 + randomInt(9000);
    while (used.has(index)) index = 1000 + randomInt(9000);
    const release: ReleaseSpec = { ...spec, processes: [] };
    const place = deps.placement ? await deps.placement(spec.app) : { label, network: 'bridge', cpu: DEFAULT_DYNO_CPU };
    const base = dynoOptions(place, release, { type: ONE_OFF, command: spec.command, quantity: 1 }, index, true);
    const network = await deps.network?.(spec.app);
    const c = await docker.createContainer({
      ...base,
      HostConfig: { ...base.HostConfig, ...(network ? { NetworkMode: network } : {}) },
      Labels: { ...base.Labels, ...oneOffLabels(label, spec.command, opts) },
      Tty: opts.tty !== null,
      OpenStdin: opts.attached,
      StdinOnce: opts.attached,
      AttachStdin: opts.attached,
      AttachStdout: true,
      AttachStderr: true,
    });
    // The networks of the app's add-ons, before it starts.
    await joinNetworks(docker, label, c.id, base.Labels ?? {}).catch(async (err: unknown) => {
      await c.remove({ force: true }).catch(() => undefined);
      throw err;
    });
    const info: OneOffInfo = { command: spec.command, size: opts.size, attached: opts.attached, tty: opts.tty !== null, deadline: opts.deadline };
    const dyno = oneOffHandle(docker, c.id, `${ONE_OFF}.${index}`, info);
    if (opts.tty) {
      const { cols, rows } = opts.tty;
      const start = dyno.start.bind(dyno);
      // Docker 20.10 (API 1.41) takes no console size at create: set it as soon as it runs.
      dyno.start = async (output) => { await start(output); await dyno.resize(cols, rows); };
    }
    return dyno;
  });
}

/** A handle on an existing one-off container. */
export function oneOffHandle(docker: Dockerode, id: string, name: string, info: OneOffInfo): OneOffDyno {
  const c = docker.getContainer(id);
  let stream: Duplex | null = null;
  let drained: Promise<void> = Promise.resolve();
  let waiting: Promise<number> | null = null;
  const gone = async (): Promise<void> => { await c.remove({ force: true }).catch(() => undefined); };
  return {
    id,
    name,
    info,
    async start(output: OneOffOutput) {
      const s = (await c.attach({ stream: true, stdin: info.attached, stdout: true, stderr: true, hijack: true })) as Duplex;
      stream = s;
      drained = new Promise((resolve) => { s.once('end', resolve); s.once('close', resolve); s.once('error', () => resolve()); });
      if (info.tty) {
        s.on('data', (chunk: Buffer) => output('stdout', chunk));
      } else {
        const out = new PassThrough();
        const err = new PassThrough();
        out.on('data', (chunk: Buffer) => output('stdout', chunk));
        err.on('data', (chunk: Buffer) => output('stderr', chunk));
        docker.modem.demuxStream(s, out, err);
      }
      const state = (await c.inspect()).State;
      if (!state.Running) await c.start();
    },
    write(chunk) {
      const s = stream;
      if (!s || s.writableEnded || s.destroyed || s.write(chunk)) return Promise.resolve();
      return new Promise((resolve) => { s.once('drain', resolve); s.once('close', resolve); });
    },
    pause() { stream?.pause(); },
    resume() { stream?.resume(); },
    closeStdin() { if (stream && !stream.writableEnded) stream.end(); },
    async resize(cols, rows) {
      if (!info.tty) return;
      // A resize the engine refused is tried twice more: a lost one leaves the dyno's terminal at
      // its old size until the user resizes again.
      for (let attempt = 1; ; attempt++) {
        try {
          await c.resize({ w: cols, h: rows });
          return;
        } catch {
          if (attempt === RESIZE_ATTEMPTS) return;
          await sleep(RESIZE_RETRY_MS);
        }
      }
    },
    async hangup() {
      await c.kill({ signal: 'SIGHUP' }).catch(() => undefined);
      const timer = setTimeout(() => { void c.kill({ signal: 'SIGKILL' }).catch(() => undefined); }, HANGUP_GRACE_MS);
      timer.unref();
      void c.wait().catch(() => undefined).finally(() => clearTimeout(timer));
    },
    async stop(graceSec) {
      await c.stop({ t: graceSec }).catch(() => undefined);
      if (!waiting) await gone(); // nobody waits for it to remove it
    },
    wait() {
      waiting ??= (async () => {
        let code = 137;
        try { code = ((await c.wait()) as { StatusCode: number }).StatusCode; } catch { /* removed from outside */ }
        await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
        stream?.destroy();
        await gone();
        return code;
      })();
      return waiting;
    },
    discard: gone,
  };
}

/** A one-off attached to the platform itself (the release phase): its output as text, its exit
 *  status; the abort signal kills it. Detached: started and left to the caller's `wait`. */
export async function runOneOff(deps: OneOffDeps, spec: RunSpec, ropts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }> {
  const dyno = await createOneOff(deps, spec, { tty: null, attached: false, size: 'standard-1X', deadline: Number.MAX_SAFE_INTEGER });
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  try {
    await dyno.start((stream, chunk) => output(decoders[stream].decode(chunk, { stream: true })));
  } catch (err) {
    await dyno.discard();
    throw err;
  }
  if (!ropts.attach) {
    void dyno.wait();
    return { name: dyno.name, exitCode: null };
  }
  const onAbort = (): void => { void dyno.stop(0); };
  ropts.signal.addEventListener('abort', onAbort);
  try {
    return { name: dyno.name, exitCode: await dyno.wait() };
  } finally {
    ropts.signal.removeEventListener('abort', onAbort);
  }
}

/** The one-off containers on this engine (of one app, or all), as dynos: a driver whose other
 *  dynos are not local containers (Swarm) lists its one-offs with this. */
export async function listOneOffContainers(docker: Dockerode, label: string, node: string, app?: string): Promise<Dyno[]> {
  const filters = { label: [`${label}=1`, `${label}.type=${ONE_OFF}`, ...(app ? [`${label}.app=${app}`] : [])] };
  return (await docker.listContainers({ all: true, filters })).map((c): Dyno => ({
    id: c.Id,
    app: c.Labels[`${label}.app`],
    name: c.Labels[`${label}.dyno`],
    type: ONE_OFF,
    release: Number(c.Labels[`${label}.release`]),
    state: c.State === 'running' ? 'up' : c.State === 'created' ? 'starting' : c.State === 'exited' || c.State === 'dead' ? 'crashed' : 'down',
    host: null,
    port: null,
    startedAt: c.Created ? new Date(c.Created * 1000).toISOString() : null,
    node,
    oneOff: oneOffInfo(label, c.Labels),
  }));
}

/** Scheduler.oneOff for one-offs that are containers on this engine (both drivers). */
export const localOneOff = (docker: Dockerode) => (dyno: Dyno): OneOffDyno => {
  if (!dyno.oneOff) throw new Error(`${dyno.name} is not a one-off dyno`);
  return oneOffHandle(docker, dyno.id, dyno.name, dyno.oneOff);
};
