// Reads the JSON-lines progress streams Docker answers build, import and push requests with.
import { createLineSplitter } from './line-splitter.ts';

export interface DockerEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: Record<string, unknown>;
}

/** An `error` entry inside a progress stream (the request itself succeeded). */
export class DockerStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerStreamError';
  }
}

/** Calls onEvent for every entry; resolves when the stream ends, rejects on the first error entry. */
export function followDockerStream(stream: NodeJS.ReadableStream, onEvent: (event: DockerEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: DockerStreamError | null = null;
    const splitter = createLineSplitter((line) => {
      if (line.trim() === '') return;
      let event: DockerEvent;
      try {
        event = JSON.parse(line) as DockerEvent;
      } catch {
        event = { stream: `${line}\n` };
      }
      if (event.error !== undefined || event.errorDetail?.message !== undefined) {
        failure ??= new DockerStreamError(event.error ?? event.errorDetail?.message ?? 'unknown error');
      }
      onEvent(event);
    });
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('error', reject);
    let ended = false;
    stream.on('end', () => {
      ended = true;
      splitter.flush();
      if (failure) reject(failure);
      else resolve();
    });
    stream.on('close', () => {
      if (!ended) reject(failure ?? new Error('Docker closed the stream before it ended'));
    });
  });
}
