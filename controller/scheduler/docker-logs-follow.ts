// Reads the output of a set of containers (or Swarm services: `open` reads one target's logs
// in the same format): history (timestamps, sorted) and, with follow, live lines from every
// target, picking up targets that start later.
import { PassThrough } from 'node:stream';
import readline from 'node:readline';
import type Dockerode from 'dockerode';
import { demuxDockerLog } from './docker-logs.ts';
import type { DynoLogLine, LogOptions } from './types.ts';

export interface LogTarget { id: string; dyno: string; running: boolean }

/** One target's output: Docker's multiplexed log format, a buffer (history) or a stream (follow). */
export type OpenLogs = (id: string, opts: { tail: number; follow: boolean }) => Promise<Buffer | NodeJS.ReadableStream>;

const containerLogs = (docker: Dockerode): OpenLogs => (id, o) =>
  docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true, tail: o.tail, follow: o.follow as true }) as Promise<Buffer | NodeJS.ReadableStream>;

function parse(dyno: string, raw: string): DynoLogLine | null {
  const sp = raw.indexOf(' ');
  if (sp <= 0) return null;
  return { time: raw.slice(0, sp), dyno, line: raw.slice(sp + 1).replace(/\r$/, '') };
}

export async function followDockerLogs(
  docker: Dockerode,
  targets: () => Promise<LogTarget[]>,
  opts: LogOptions,
  emit: (line: DynoLogLine) => void,
  open: OpenLogs = containerLogs(docker),
): Promise<void> {
  const initial = await targets();
  if (!opts.follow) {
    const all: DynoLogLine[] = [];
    await Promise.all(initial.map(async (t) => {
      const buf = (await open(t.id, { tail: opts.lines, follow: false })) as Buffer;
      for (const raw of demuxDockerLog(buf).split('\n')) {
        const l = parse(t.dyno, raw);
        if (l) all.push(l);
      }
    }));
    all.sort((a, b) => a.time.localeCompare(b.time));
    for (const l of all) emit(l);
    return;
  }

  const attached = new Set<string>();
  const streams: NodeJS.ReadableStream[] = [];
  async function attach(t: LogTarget, tail: number): Promise<void> {
    if (attached.has(t.id) || opts.signal.aborted) return;
    attached.add(t.id);
    const stream = (await open(t.id, { tail, follow: true })) as NodeJS.ReadableStream;
    streams.push(stream);
    const out = new PassThrough();
    docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => out.end());
    for await (const raw of readline.createInterface({ input: out })) {
      const l = parse(t.dyno, raw);
      if (l) emit(l);
    }
  }
  for (const t of initial) void attach(t, opts.lines).catch(() => undefined);
  while (!opts.signal.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    if (opts.signal.aborted) break;
    for (const t of await targets().catch(() => [])) if (t.running) void attach(t, 0).catch(() => undefined);
  }
  for (const s of streams) (s as unknown as { destroy(): void }).destroy();
}
