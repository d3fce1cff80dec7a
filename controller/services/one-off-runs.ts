// One-off dynos (`paas run`, `paas run:detached`): the spec from the app's current release, the
// size and the time limit; detached output to the app's log; attached runs wait, created but not
// started, until their client attaches with the run's secret: over the API's websocket
// (http/dyno-attach.ts, `paas run`) or Heroku's rendezvous (rendezvous/listener.ts, `heroku run`).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
import type { Config } from '../../common/config.ts';
import { ConflictError, errorMessage, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { ONE_OFF, type Dyno, type OneOffDyno, type Scheduler } from '../scheduler/types.ts';
import { listApps } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import { currentRelease } from '../store/releases.ts';
import type { App, User } from '../store/types.ts';
import { dynoSize } from './dyno-sizes.ts';
import type { DynoSpecs } from './dyno-spec.ts';

export interface RunRequest {
  /** The command line, run by bash -c after .profile.d. */
  command: string;
  attach: boolean;
  /** Attached with pipes instead of a TTY. */
  forceNoTty: boolean;
  size?: string;
  /** Added to the release's config vars; COLUMNS/LINES give a TTY its first size. */
  env: Record<string, string>;
  /** Seconds until the platform stops it; at most (and by default) the platform's limit. */
  timeToLive?: number;
  /** Attached runs: the only protocol whose client may claim the secret (default websocket). */
  attachVia?: AttachProtocol;
}

export type AttachProtocol = 'websocket' | 'rendezvous';

export interface StartedRun {
  name: string;
  release: number;
  size: string;
  command: string;
  /** Attached runs: the secret a client attaches with (once, within the attach timeout). */
  attachSecret: string | null;
}

/** Where an attached run's output goes: a client connection of any protocol. */
export interface RunSink {
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /** The process ended (the last call). */
  exit(code: number): void;
}

/** What a client connection may do to an attached run. */
export interface AttachedRun {
  name: string;
  tty: boolean;
  /** Resolves once the process took the bytes (see OneOffDyno.write). */
  write(chunk: Buffer): Promise<void>;
  /** Flow control: the client cannot take more output now / again. */
  pause(): void;
  resume(): void;
  eof(): void;
  resize(cols: number, rows: number): void;
  /** The client is gone: SIGHUP, then SIGKILL. */
  hangup(): void;
}

export interface PendingRun {
  app: string;
  name: string;
  userId: string;
  tty: boolean;
  command: string;
  /** The protocol the secret was handed out for: a client of another one is refused. */
  via: AttachProtocol;
  /** Wires the client to the process and starts it; only the first attach succeeds. */
  attach(sink: RunSink): Promise<AttachedRun>;
}

export interface OneOffRuns {
  create(app: App, user: User, req: RunRequest): Promise<StartedRun>;
  /** The attached run waiting for a client with this secret (not yet attached, not expired). */
  pending(secret: string): PendingRun | null;
  /** A process made elsewhere (an add-on's psql or redis-cli, services/addon-client.ts), created
   *  and not started, waits for its client as an attached run of `app` does; returns the secret.
   *  Its creator's lines go to the app's log; it is removed when it ends or nobody attaches. */
  offer(app: App, user: User, dyno: OneOffDyno, command: string): string;
  /** Stops a one-off dyno (SIGTERM, SIGKILL after 10 s); false if there is none of that name. */
  stop(app: App, name: string): Promise<boolean>;
  /** Takes over one-offs found running (a restarted controller): removes ended or never
   *  attached ones, stops those past their time limit, follows detached ones' output again. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** Seconds ps:stop and the time limit give a one-off between SIGTERM and SIGKILL. */
const STOP_GRACE_SEC = 10;
const MAX_COMMAND = 32 * 1024;

export function createOneOffRuns(deps: {
  db: Db; config: Config; scheduler: Scheduler; specs: DynoSpecs; redis: Redis; log: (line: string) => void;
  /** How long an attached run waits for its client (ms, default 60 s). */
  attachTimeoutMs?: number;
  /** How often one-offs are swept (ms, default 30 s). */
  sweepMs?: number;
}): OneOffRuns {
  const { db, config, scheduler } = deps;
  const attachTimeoutMs = deps.attachTimeoutMs ?? 60_000;
  const waiting = new Map<string, { run: PendingRun; timer: NodeJS.Timeout }>();
  /** One-offs this controller handles (by container id), from their creation: their handle and
   *  time-limit timer. */
  const active = new Map<string, { dyno: OneOffDyno; timer: NodeJS.Timeout | null }>();

  const platformLine = (app: string, dyno: string, line: string): void => {
    void appendAppLog(deps.redis, config.redisPrefix, app, { source: 'paas', dyno, line }).catch(() => undefined);
  };

  /** Follows a running one-off until it ends: time limit, exit line, removal. */
  function follow(app: string, dyno: OneOffDyno): Promise<number> {
    const left = dyno.info.deadline - Date.now();
    const timer = left < 2 ** 31 - 1 ? setTimeout(() => {
      platformLine(app, dyno.name, `Stopping process: time limit reached`);
      void dyno.stop(STOP_GRACE_SEC);
    }, Math.max(0, left)) : null;
    timer?.unref();
    active.set(dyno.id, { dyno, timer });
    return dyno.wait().then((code) => {
      platformLine(app, dyno.name, `Process exited with status ${code}`);
      platformLine(app, dyno.name, 'State changed from up to complete');
      return code;
    }).finally(() => {
      if (timer) clearTimeout(timer);
      active.delete(dyno.id);
    });
  }

  /** Detached output, line by line, into the app's log as app[run.N]. */
  function logSink(app: string, name: string): { output: (s: 'stdout' | 'stderr', chunk: Buffer) => void; flush: () => void } {
    const partial = { stdout: '', stderr: '' };
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const emit = (line: string): void => {
      void appendAppLog(deps.redis, config.redisPrefix, app, { source: 'app', dyno: name, line: line.replace(/\r$/, '') }).catch(() => undefined);
    };
    return {
      output(stream, chunk) {
        const lines = (partial[stream] + decoders[stream].decode(chunk, { stream: true })).split('\n');
        partial[stream] = lines.pop() ?? '';
        for (const l of lines) emit(l);
      },
      flush() { for (const s of ['stdout', 'stderr'] as const) if (partial[s]) { emit(partial[s]); partial[s] = ''; } },
    };
  }

  async function startDetached(app: App, dyno: OneOffDyno): Promise<void> {
    const sink = logSink(app.name, dyno.name);
    await dyno.start(sink.output);
    platformLine(app.name, dyno.name, 'State changed from starting to up');
    void follow(app.name, dyno).finally(sink.flush);
  }

  function pendingRun(app: App, user: User, dyno: OneOffDyno, command: string, via: AttachProtocol): PendingRun {
    let taken = false;
    return {
      app: app.name, name: dyno.name, userId: user.id, tty: dyno.info.tty, command, via,
      async attach(sink) {
        if (taken) throw new ConflictError(`${dyno.name} already has a client attached.`);
        taken = true;
        for (const [secret, w] of waiting) if (w.run === this) { clearTimeout(w.timer); waiting.delete(secret); }
        try {
          await dyno.start(sink.output);
        } catch (err) {
          active.delete(dyno.id);
          await dyno.discard();
          throw err;
        }
        platformLine(app.name, dyno.name, 'State changed from starting to up');
        void follow(app.name, dyno).then((code) => sink.exit(code), (err: unknown) => {
          deps.log(`one-off ${app.name} ${dyno.name}: ${errorMessage(err)}`);
          sink.exit(137);
        });
        return {
          name: dyno.name,
          tty: dyno.info.tty,
          write: (chunk) => dyno.write(chunk),
          pause: () => dyno.pause(),
          resume: () => dyno.resume(),
          eof: () => dyno.closeStdin(),
          resize: (cols, rows) => { void dyno.resize(cols, rows); },
          hangup: () => {
            platformLine(app.name, dyno.name, 'Client disconnected: sending SIGHUP');
            void dyno.hangup();
          },
        };
      },
    };
  }

  async function create(app: App, user: User, req: RunRequest): Promise<StartedRun> {
    if (req.command.length > MAX_COMMAND) throw new InvalidParamsError(`The command is longer than ${MAX_COMMAND} bytes.`);
    const limit = config.runTimeLimit;
    const ttl = req.timeToLive ?? limit;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > limit) throw new InvalidParamsError(`time_to_live must be an integer from 1 to ${limit} seconds.`);
    const { size, memoryMb } = dynoSize(req.size, config.dynoMemoryMb);
    const release = currentRelease(db, app.id);
    if (!release) throw new NotFoundError(`${app.name} has no release to run a command in: push code first.`);
    const spec = { ...deps.specs.oneOff(app, release, req.command, req.env), memoryMb };
    const dim = (v: string | undefined, d: number): number => (Number.isInteger(Number(v)) && Number(v) > 0 && Number(v) <= 10_000 ? Number(v) : d);
    const tty = req.attach && !req.forceNoTty ? { cols: dim(req.env.COLUMNS, 80), rows: dim(req.env.LINES, 24) } : null;
    const dyno = await scheduler.createOneOff(spec, { tty, attached: req.attach, size, deadline: Date.now() + ttl * 1000 });
    active.set(dyno.id, { dyno, timer: null });
    const discard = async (): Promise<void> => { active.delete(dyno.id); await dyno.discard(); };
    platformLine(app.name, dyno.name, `Starting process with command \`${req.command}\` by user ${user.email}`);
    const started: StartedRun = { name: dyno.name, release: spec.release, size, command: req.command, attachSecret: null };
    if (!req.attach) {
      try { await startDetached(app, dyno); } catch (err) { await discard(); throw err; }
      return started;
    }
    return { ...started, attachSecret: awaitClient(app, user, dyno, req.command, req.attachVia ?? 'websocket') };
  }

  /** Keeps a created dyno waiting for its client under a new secret (removed if none comes). */
  function awaitClient(app: App, user: User, dyno: OneOffDyno, command: string, via: AttachProtocol): string {
    const secret = randomBytes(24).toString('base64url');
    const run = pendingRun(app, user, dyno, command, via);
    const timer = setTimeout(() => {
      waiting.delete(secret);
      platformLine(app.name, dyno.name, 'No client attached in time: removed');
      active.delete(dyno.id);
      void dyno.discard();
    }, attachTimeoutMs);
    timer.unref();
    waiting.set(secret, { run, timer });
    return secret;
  }

  function offer(app: App, user: User, dyno: OneOffDyno, command: string): string {
    active.set(dyno.id, { dyno, timer: null });
    platformLine(app.name, dyno.name, `Starting process with command \`${command}\` by user ${user.email}`);
    return awaitClient(app, user, dyno, command, 'websocket');
  }

  function pending(secret: string): PendingRun | null {
    const given = Buffer.from(secret);
    for (const [s, w] of waiting) {
      const known = Buffer.from(s);
      if (known.length === given.length && timingSafeEqual(known, given)) return w.run;
    }
    return null;
  }

  async function stop(app: App, name: string): Promise<boolean> {
    const dyno = (await scheduler.list(app.name)).find((d) => d.type === ONE_OFF && d.name === name);
    if (!dyno) return false;
    for (const [secret, w] of waiting) {
      if (w.run.app === app.name && w.run.name === name) { clearTimeout(w.timer); waiting.delete(secret); }
    }
    const mine = active.get(dyno.id);
    const handle = mine?.dyno ?? scheduler.oneOff(dyno);
    platformLine(app.name, name, 'Stopping process: ps:stop');
    if (dyno.state === 'starting') {
      active.delete(dyno.id);
      await handle.discard(); // never started (waiting for its client)
    } else {
      await handle.stop(STOP_GRACE_SEC);
    }
    return true;
  }

  async function sweep(): Promise<void> {
    const now = Date.now();
    // Only this platform's apps: other platforms may share the Docker label (test runs do).
    const dynos: Dyno[] = [];
    for (const app of listApps(db)) dynos.push(...(await scheduler.list(app.name)));
    for (const d of dynos.filter((x) => x.type === ONE_OFF && x.oneOff)) {
      if (active.has(d.id)) continue;
      const handle = scheduler.oneOff(d);
      if (d.state === 'starting') {
        // Created and never started by an earlier controller: its client is gone.
        const created = d.startedAt ? Date.parse(d.startedAt) : 0;
        if (now - created > attachTimeoutMs) await handle.discard();
      } else if (d.state !== 'up') {
        await handle.discard();
      } else if (!d.oneOff?.attached) {
        const sink = logSink(d.app, d.name);
        await handle.start(sink.output).then(() => { void follow(d.app, handle).finally(sink.flush); }, () => undefined);
      } else if ((d.oneOff?.deadline ?? 0) <= now) {
        await handle.stop(STOP_GRACE_SEC);
      } else {
        // An attached run whose client was connected to an earlier controller: nobody can
        // reach it any more.
        await handle.hangup();
      }
    }
  }

  const sweepTimer = setInterval(() => { void sweep().catch((err: unknown) => deps.log(`one-off sweep: ${errorMessage(err)}`)); }, deps.sweepMs ?? 30_000);
  sweepTimer.unref();

  return {
    create,
    pending,
    offer,
    stop,
    sweep,
    async close() {
      clearInterval(sweepTimer);
      for (const w of waiting.values()) clearTimeout(w.timer);
      waiting.clear();
      for (const a of active.values()) if (a.timer) clearTimeout(a.timer);
    },
  };
}
