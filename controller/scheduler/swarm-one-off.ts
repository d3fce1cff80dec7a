// One-off dynos on the cluster (run.1, run.2 …): a service with one task that runs once
// (restart condition none), on whichever node Swarm picks. Attached: its output comes from
// the service's logs and its exit code from the task; the service is removed at the end (or
// when the signal aborts). Detached: started and left; the driver removes it once it ended.
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { UserBuildError } from '../../common/errors.ts';
import { sleep } from './health.ts';
import { tasksOf } from './swarm-boot.ts';
import { dynoService } from './swarm-spec.ts';
import { taskEnded } from './swarm-state.ts';
import { ONE_OFF, type Dyno, type RunSpec } from './types.ts';

export interface SwarmOneOffDeps {
  docker: Dockerode;
  label: string;
  authconfig: object;
  list(app: string): Promise<Dyno[]>;
  network(app: string): Promise<string>;
  nodeName(id: string | undefined): Promise<string>;
  /** CPU quota in CPUs. */
  cpus?: number;
}

export async function runSwarmOneOff(deps: SwarmOneOffDeps, spec: RunSpec, ropts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }> {
  const { docker } = deps;
  const used = new Set((await deps.list(spec.app)).filter((d) => d.type === ONE_OFF).map((d) => Number(d.name.split('.')[1])));
  let index = 1;
  while (used.has(index)) index++;
  const name = `${ONE_OFF}.${index}`;
  const service = dynoService({
    label: deps.label, spec: { ...spec, processes: [] }, proc: { type: ONE_OFF, command: spec.command, quantity: 1 }, index, oneOff: true,
    network: await deps.network(spec.app), graceSec: 10, cpus: deps.cpus,
  });
  const created = await docker.createService(deps.authconfig, service);
  if (!ropts.attach) return { name, exitCode: null };

  const remove = (): Promise<void> => created.remove().then(() => undefined, () => undefined);
  const onAbort = (): void => { void remove(); };
  ropts.signal.addEventListener('abort', onAbort);
  let lastOutput = Date.now();
  let stream: NodeJS.ReadableStream | null = null;
  try {
    stream = (await created.logs({ stdout: true, stderr: true, follow: true })) as unknown as NodeJS.ReadableStream;
    const sink = new PassThrough();
    docker.modem.demuxStream(stream, sink, sink);
    sink.on('data', (chunk: Buffer) => { lastOutput = Date.now(); output(chunk.toString('utf8')); });
    stream.on('error', () => undefined);
    for (;;) {
      if (ropts.signal.aborted) return { name, exitCode: null };
      const task = (await tasksOf(docker, created.id))[0];
      if (task && taskEnded(task)) {
        const exit = task.Status.ContainerStatus?.ExitCode;
        if (exit === undefined || !task.Status.ContainerStatus?.ContainerID) {
          throw new UserBuildError(`${name} could not start on node ${await deps.nodeName(task.NodeID)}: ${task.Status.Err ?? task.Status.Message ?? task.Status.State}`);
        }
        // Its last lines travel from the node through the manager: wait until they stop coming.
        const endedAt = Date.now();
        while (Date.now() - lastOutput < 300 && Date.now() - endedAt < 3000) await sleep(100);
        if (Date.now() - endedAt < 300) await sleep(300);
        return { name, exitCode: exit };
      }
      await sleep(250);
    }
  } finally {
    ropts.signal.removeEventListener('abort', onAbort);
    (stream as { destroy?: () => void } | null)?.destroy?.();
    await remove();
  }
}
