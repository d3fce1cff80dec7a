// Every dyno's output, followed for the platform's log pipeline (services/dyno-output.ts):
// one list of targets for all apps (not one per app), each dyno attached once while it runs and
// again after it restarted in place, resumable: a dyno whose last collected line is known is
// read from that time on (Docker's `since`) and lines up to it are skipped, so a restarted
// paasd neither loses nor repeats lines the engine still has. Docker containers and Swarm
// services (their log endpoints share one format) alike: `open` reads one target.
import { PassThrough } from 'node:stream';
import readline from 'node:readline';
import type Dockerode from 'dockerode';
import type { OutputOptions, DynoOutputLine } from './types.ts';

export interface OutputTarget { id: string; app: string; dyno: string; running: boolean }

/** One target's output, following, in Docker's multiplexed format with timestamps. */
export type OpenOutput = (id: string, opts: { tail: number | 'all'; since?: string }) => Promise<NodeJS.ReadableStream>;

/** Docker's RFC 3339 time with its fraction padded to 9 digits: such strings sort as times do. */
export function normalizeDockerTime(t: string): string | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(t);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : null;
}

/** Docker's `since` for a normalized time: Unix seconds with nanoseconds. */
export const dockerSince = (normalized: string): string =>
  `${Math.floor(Date.parse(`${normalized.slice(0, 19)}Z`) / 1000)}.${normalized.slice(20, 29)}`;

export const containerOutput = (docker: Dockerode): OpenOutput => (id, o) =>
  docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true, follow: true, tail: o.tail as number, ...(o.since ? { since: o.since as unknown as number } : {}) }) as Promise<NodeJS.ReadableStream>;

export async function collectDockerOutput(
  docker: Dockerode, targets: () => Promise<OutputTarget[]>, opts: OutputOptions, emit: (l: DynoOutputLine) => void, open: OpenOutput,
): Promise<void> {
  const attached = new Map<string, NodeJS.ReadableStream | null>();
  async function attach(t: OutputTarget): Promise<void> {
    attached.set(t.id, null);
    try {
      const after = opts.collected(t.id);
      const stream = await open(t.id, after ? { tail: 'all', since: dockerSince(after) } : { tail: opts.backlog });
      if (opts.signal.aborted) { (stream as unknown as { destroy(): void }).destroy(); return; }
      attached.set(t.id, stream);
      const out = new PassThrough();
      docker.modem.demuxStream(stream, out, out);
      stream.on('end', () => out.end());
      stream.on('error', () => out.end());
      let last = after;
      for await (const raw of readline.createInterface({ input: out })) {
        const sp = raw.indexOf(' ');
        const time = sp > 0 ? normalizeDockerTime(raw.slice(0, sp)) : null;
        if (!time || (last && time <= last)) continue;
        last = time;
        emit({ id: t.id, app: t.app, dyno: t.dyno, time, line: raw.slice(sp + 1).replace(/\r$/, '') });
      }
    } finally {
      attached.delete(t.id); // ended (stopped, restarted): attached again once it runs
    }
  }
  while (!opts.signal.aborted) {
    for (const t of await targets().catch(() => [])) if (t.running && !attached.has(t.id)) void attach(t).catch(() => undefined);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.pollMs ?? 1000);
      opts.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
  for (const s of attached.values()) (s as unknown as { destroy(): void } | null)?.destroy();
}
