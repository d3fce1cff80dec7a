// Follows the engine's container events for some labels; reconnects after a second
// when the stream ends (dockerd restart).
import type Dockerode from 'dockerode';

export interface ContainerEvent { action: string; id: string }

/** labels: filters that must all match, e.g. ["paas=1", "paas.dyno"] (a key alone: present). */
export function watchContainerEvents(docker: Dockerode, labels: string[], actions: string[], onEvent: (e: ContainerEvent) => void): { close(): void } {
  let closed = false;
  let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;

  async function connect(): Promise<void> {
    if (closed) return;
    try {
      const filters = { type: ['container' as const], label: labels, event: actions };
      stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream;
      if (closed) { stream.destroy?.(); return; }
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            const e = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
            const id = e.Actor?.ID ?? e.id;
            if (id) onEvent({ action: e.Action ?? e.status ?? '', id });
          } catch { /* not an event */ }
        }
      });
      stream.on('end', () => { stream = null; if (!closed) setTimeout(() => void connect(), 1000).unref(); });
      stream.on('error', () => { /* 'end' follows */ });
    } catch {
      if (!closed) setTimeout(() => void connect(), 1000).unref();
    }
  }

  void connect();
  return {
    close() {
      closed = true;
      stream?.destroy?.();
      stream = null;
    },
  };
}
