import { errorMessage } from '../common/errors.ts';
// One access record per request, handed to an optional callback (the log stream, later).
export interface AccessEntry {
  app: string | null;
  dyno: string | null;
  method: string;
  path: string;
  /** Status sent to the client; 499 when the client left before a response started. */
  status: number;
  /** Response body bytes sent. */
  bytes: number;
  durationMs: number;
  requestId: string;
}

export type OnAccess = (entry: AccessEntry) => void;

/** Calls the callback, never letting its failure reach the proxy. */
export function reportAccess(onAccess: OnAccess | undefined, entry: AccessEntry, log: (line: string) => void): void {
  if (!onAccess) return;
  try {
    onAccess(entry);
  } catch (err) {
    log(`onAccess failed: ${errorMessage(err)}`);
  }
}

export function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}
