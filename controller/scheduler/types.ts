// The scheduler in domain terms. The controller speaks only this interface; the Docker
// driver implements it now, a Swarm driver can later. No dockerode type crosses it.

export interface ProcessSpec {
  type: string;
  /** Command line (Procfile style). null = the image's own default command. */
  command: string | null;
  quantity: number;
}

/** Buildpack images run a command through their own entrypoint; Dockerfile images do not. */
export type ImageKind = 'buildpack' | 'dockerfile';

export interface ReleaseSpec {
  app: string;
  release: number;
  /** Full image reference in the registry, e.g. 127.0.0.1:5000/hello:v3. */
  image: string;
  kind: ImageKind;
  env: Record<string, string>;
  processes: ProcessSpec[];
  memoryMb: number;
}

export type DynoState = 'starting' | 'up' | 'crashed' | 'restarting' | 'down';

export interface Dyno {
  app: string;
  /** "web.1" */
  name: string;
  type: string;
  release: number;
  state: DynoState;
  /** Where the router reaches it: a loopback address and published port (web only). */
  host: string | null;
  port: number | null;
  startedAt: string | null;
  id: string;
}

export interface LogOptions {
  /** Only this dyno ("web.1") or type ("web"). */
  dyno?: string;
  /** How many past lines per dyno. */
  lines: number;
  follow: boolean;
  signal: AbortSignal;
}

export interface DynoLogLine { time: string; dyno: string; line: string }

export interface RunSpec {
  app: string;
  release: number;
  image: string;
  kind: ImageKind;
  env: Record<string, string>;
  command: string;
  memoryMb: number;
}

/** Process type of one-off dynos (run.1, run.2 …); never routed, never retired by deploys. */
export const ONE_OFF = 'run';

export interface Scheduler {
  /** Starts every process of the release and waits until web dynos answer HTTP. On any
   *  failure it removes what it started and throws; what was running before is untouched. */
  start(spec: ReleaseSpec, log: (line: string) => void): Promise<Dyno[]>;
  /** Converges the dynos of an already running release to spec.processes: starts the missing
   *  ones (healthy before they count), stops the surplus (highest numbers first), no restarts.
   *  beforeStop runs once the new dynos are up and the surplus is marked unroutable. */
  scale(spec: ReleaseSpec, log: (line: string) => void, beforeStop?: () => Promise<void>): Promise<void>;
  /** Gracefully stops and removes the app's dynos that do not belong to `keepRelease`. */
  retire(app: string, keepRelease: number | null): Promise<void>;
  /** Dynos of one app, or of every app. */
  list(app?: string): Promise<Dyno[]>;
  /** Output of the app's dynos (stdout and stderr); with follow, until the signal aborts. */
  logs(app: string, opts: LogOptions, emit: (line: DynoLogLine) => void): Promise<void>;
  /** A one-off dyno. Attached: streams its output and resolves with its exit code when it ends
   *  (the abort signal kills it). Detached: resolves once started, with exitCode null. */
  run(spec: RunSpec, opts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }>;
  /** Rolling restart of the app's dynos (all, one "web.1", or one type "web"), one at a time:
   *  each is taken out of routing (routingChanged is awaited), restarted and, for web, health
   *  checked before the next one. */
  restart(app: string, filter: string | undefined, routingChanged: () => Promise<void>): Promise<string[]>;
  /** Removes every container of the app and the engine's copies of its images. */
  destroy(app: string): Promise<void>;
  /** Calls fn when dynos change state outside the controller's own actions (crash, restart). */
  onChange(fn: () => void): () => void;
  close(): Promise<void>;
}
