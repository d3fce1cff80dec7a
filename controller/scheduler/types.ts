// The scheduler in domain terms. The controller speaks only this interface; the drivers are
// docker-scheduler.ts (one local engine) and swarm-scheduler.ts (a Docker Swarm cluster),
// chosen by PAAS_SCHEDULER (create-scheduler.ts). No dockerode type crosses it.

export interface ProcessSpec {
  type: string;
  /** Command line (Procfile style). null = the image's own default command. */
  command: string | null;
  quantity: number;
}

/** Buildpack images run a command through their own entrypoint; Dockerfile images do not. */
export type ImageKind = 'buildpack' | 'dockerfile';

/** How a web dyno is judged healthy and how long a leaving dyno gets (per app; app-settings store). */
export interface DynoChecks {
  /** Path of the health check GET; any answer below 500 passes. */
  healthPath: string;
  /** Seconds a new (or restarted) web dyno has to pass the check. */
  bootTimeoutSec: number;
  /** Seconds between SIGTERM and SIGKILL when a dyno is stopped (after it was drained). */
  graceSec: number;
}

export interface ReleaseSpec {
  app: string;
  release: number;
  /** Full image reference in the registry, e.g. 127.0.0.1:5000/hello:v3. */
  image: string;
  kind: ImageKind;
  env: Record<string, string>;
  processes: ProcessSpec[];
  memoryMb: number;
  /** Absent: the scheduler's defaults. Recorded on each container, so restarts keep them. */
  checks?: DynoChecks;
  /** Extra Docker networks the dynos join (those of the add-ons attached to the app). */
  networks?: string[];
}

/** starting: booting, or (web) not yet through its health check; up: running (and healthy);
 *  crashed: exited and not (yet) scheduled for a restart; restarting: waiting for its restart
 *  (back-off); stopping: out of routing, being drained and stopped; down: anything else. */
export type DynoState = 'starting' | 'up' | 'crashed' | 'restarting' | 'stopping' | 'down';

export interface Dyno {
  app: string;
  /** "web.1" */
  name: string;
  type: string;
  release: number;
  state: DynoState;
  /** Where the router reaches it (web only): on the local engine, its address on its app
   *  network and $PORT; on Swarm, its node's address and the port published there. */
  host: string | null;
  port: number | null;
  startedAt: string | null;
  id: string;
  /** Name of the machine (cluster node) it runs on; null while it has none. */
  node: string | null;
  /** One-off dynos (type run) only: what they run and how. */
  oneOff?: OneOffInfo;
}

export interface OneOffInfo {
  command: string;
  /** Dyno size name (its memory limit is set from it). */
  size: string;
  /** Attached to a client (its stdin and output) or detached (output to the app log). */
  attached: boolean;
  tty: boolean;
  /** When the platform stops it: its time limit (epoch ms). */
  deadline: number;
}

/** ready: the engine answers the cluster; down/unknown/disconnected: it does not. */
export interface ClusterNode {
  id: string;
  /** Hostname of the machine. */
  name: string;
  /** Address other nodes and the router reach it at. */
  address: string;
  role: 'manager' | 'worker';
  state: string;
  /** active: takes dynos; pause: keeps its dynos, takes no new ones; drain: takes none. */
  availability: 'active' | 'pause' | 'drain';
  /** Dynos of this platform (all apps) running or starting on it. */
  dynos: number;
  /** The node of the engine the platform drives: the manager it runs on (or the one at
   *  PAAS_SWARM_MANAGER_SOCKET). */
  self: boolean;
}

export type NodeAvailability = 'active' | 'drain';

export interface LogOptions {
  /** Only this dyno ("web.1") or type ("web"). */
  dyno?: string;
  /** How many past lines per dyno. */
  lines: number;
  follow: boolean;
  signal: AbortSignal;
}

export interface DynoLogLine { time: string; dyno: string; line: string }

export interface OutputOptions {
  signal: AbortSignal;
  /** Time (RFC 3339, fraction padded to 9 digits) of the last line already collected from the
   *  dyno with this id, if any: its output is read on from there. */
  collected(id: string): string | undefined;
  /** Past lines read from a dyno never collected before. */
  backlog: number;
  /** How often new and restarted dynos are looked for (ms, default 1000). */
  pollMs?: number;
}

/** A line of output, with the dyno's id and app; `time` as in OutputOptions.collected. */
export interface DynoOutputLine extends DynoLogLine { id: string; app: string }

export interface RunSpec {
  app: string;
  release: number;
  image: string;
  kind: ImageKind;
  env: Record<string, string>;
  command: string;
  memoryMb: number;
  /** Extra Docker networks the one-off dyno joins (those of the add-ons attached to the app). */
  networks?: string[];
}

/** Bytes from a one-off's process: stdout (with a TTY, all the terminal's output) and stderr. */
export type OneOffOutput = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

/** One one-off dyno's process, for whoever carries its streams to a client (the API's
 *  websocket, a rendezvous server) or to the app log (detached runs). */
export interface OneOffDyno {
  id: string;
  name: string;
  info: OneOffInfo;
  /** Wires the process's output to `output` and makes it run (a created dyno starts; a running
   *  one is attached to, and gives its output from now on). Resolves once it runs. */
  start(output: OneOffOutput): Promise<void>;
  /** Bytes to its stdin (attached dynos); resolves once taken (at once, or when the process
   *  read what was waiting: the client should not send more meanwhile). */
  write(chunk: Buffer): Promise<void>;
  /** Stops / restarts the delivery of its output (a slow client: flow control). */
  pause(): void;
  resume(): void;
  /** Ends its stdin (EOF) — with pipes; a TTY gets Ctrl-D as a byte instead. */
  closeStdin(): void;
  /** The terminal size of a TTY dyno (SIGWINCH inside). */
  resize(cols: number, rows: number): Promise<void>;
  /** SIGHUP (the client hung up), SIGKILL after a few seconds if it is still running. */
  hangup(): Promise<void>;
  /** SIGTERM, SIGKILL after graceSec (ps:stop, the time limit). */
  stop(graceSec: number): Promise<void>;
  /** Resolves with the exit status once the process ended (all output delivered), and removes
   *  the dyno. A dyno removed from outside counts as killed (137). */
  wait(): Promise<number>;
  /** Removes a dyno that never started (nobody attached in time). */
  discard(): Promise<void>;
}

export interface OneOffOptions {
  /** A TTY of this size (raw bytes, one output stream); null: stdin/stdout/stderr are pipes. */
  tty: { cols: number; rows: number } | null;
  /** Attached: stdin stays open for the client. Detached: no stdin. */
  attached: boolean;
  size: string;
  /** Time limit: epoch ms after which the platform stops it. */
  deadline: number;
}

/** Process type of one-off dynos (run.1, run.2 …); never routed, never retired by deploys. */
export const ONE_OFF = 'run';

/** The routing callback (one name everywhere: syncRoutes): the controller publishes the route
 *  table computed from the dynos' current states and resolves once every router uses it and
 *  has finished its requests to the dynos that left it. A driver calls it after it changed
 *  which dynos are routable, before it stops one. */
export interface Scheduler {
  /** Starts every process of the release and waits until web dynos answer HTTP. On any
   *  failure it removes what it started and throws; what was running before is untouched. */
  start(spec: ReleaseSpec, log: (line: string) => void): Promise<Dyno[]>;
  /** Converges the dynos of an already running release to spec.processes: starts the missing
   *  ones (healthy before they count), stops the surplus (highest numbers first), no restarts.
   *  syncRoutes runs once the new dynos are up and the surplus is marked unroutable. */
  scale(spec: ReleaseSpec, log: (line: string) => void, syncRoutes?: () => Promise<void>): Promise<void>;
  /** Gracefully stops and removes the app's dynos that do not belong to `keepRelease`. They are
   *  marked unroutable first; syncRoutes (which should publish routes and wait until the routers
   *  dropped them and finished their requests) runs before any of them gets SIGTERM. */
  retire(app: string, keepRelease: number | null, syncRoutes?: () => Promise<void>): Promise<void>;
  /** Dynos of one app, or of every app. */
  list(app?: string): Promise<Dyno[]>;
  /** Output of the app's dynos (stdout and stderr); with follow, until the signal aborts. */
  logs(app: string, opts: LogOptions, emit: (line: DynoLogLine) => void): Promise<void>;
  /** Output of every dyno of every app (not one-offs), followed until the signal aborts:
   *  dynos that start later and dynos restarted in place included; resumable (OutputOptions). */
  output(opts: OutputOptions, emit: (line: DynoOutputLine) => void): Promise<void>;
  /** A one-off dyno. Attached: streams its output and resolves with its exit code when it ends
   *  (the abort signal kills it). Detached: resolves once started, with exitCode null. */
  run(spec: RunSpec, opts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }>;
  /** A one-off dyno (run.N, N a random free number from 1000), created but not started: start() runs it. */
  createOneOff(spec: RunSpec, opts: OneOffOptions): Promise<OneOffDyno>;
  /** The one-off dyno `dyno` (from list()), to attach to, stop or wait for. */
  oneOff(dyno: Dyno): OneOffDyno;
  /** Rolling restart of the app's dynos (all, one "web.1", or one type "web"), one at a time.
   *  A web dyno is replaced: a new container with the same name starts and passes its health
   *  check, syncRoutes() routes it, then the old one is taken out of routing
   *  (syncRoutes() again, which should wait for the drain) and stopped. Other dynos are
   *  restarted in place. */
  restart(app: string, filter: string | undefined, syncRoutes: () => Promise<void>): Promise<string[]>;
  /** Removes every container of the app and the engine's copies of its images. */
  destroy(app: string): Promise<void>;
  /** The machines dynos run on: a cluster's nodes, or the one local engine. */
  nodes(): Promise<ClusterNode[]>;
  /** Drain: the node's dynos are replaced on other nodes (each new one healthy and routed,
   *  syncRoutes() called, before the old one is drained and stopped), then it takes no
   *  dynos; active: it takes dynos again. node: id or hostname. Only clusters have this. */
  setNodeAvailability(node: string, availability: NodeAvailability, syncRoutes: () => Promise<void>): Promise<ClusterNode>;
  /** Calls fn when dynos change state outside the controller's own actions (crash, restart).
   *  Subscribing also starts the driver's self-healing (restarts of dynos that stopped). */
  onChange(fn: () => void): () => void;
  close(): Promise<void>;
}
