// One-off dynos (run.1, run.2 …): attached with their output and exit code, or detached.
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { dynoOptions } from './docker-dyno.ts';
import { ONE_OFF, type Dyno, type ReleaseSpec, type RunSpec } from './types.ts';

export interface OneOffDeps {
  docker: Dockerode;
  label: string;
  pull(image: string): Promise<void>;
  list(app: string): Promise<Dyno[]>;
}

export async function runOneOff(deps: OneOffDeps, spec: RunSpec, ropts: { attach: boolean; signal: AbortSignal }, output: (chunk: string) => void): Promise<{ name: string; exitCode: number | null }> {
  const { docker } = deps;
  await deps.pull(spec.image);
  const used = new Set((await deps.list(spec.app)).filter((d) => d.type === ONE_OFF).map((d) => Number(d.name.split('.')[1])));
  let index = 1;
  while (used.has(index)) index++;
  const name = `${ONE_OFF}.${index}`;
  const release: ReleaseSpec = { ...spec, processes: [] };
  const c = await docker.createContainer(dynoOptions(deps.label, release, { type: ONE_OFF, command: spec.command, quantity: 1 }, index, true));
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
