// One access record per request, handed to an optional callback (the app's log stream, metrics).
import type { IncomingMessage } from 'node:http';
import type { AccessRecord } from '../common/app-log.ts';
import { errorMessage } from '../common/errors.ts';
import { forwardedFor } from './headers.ts';

export type AccessEntry = AccessRecord;

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

/** The request's host, client address and protocol for its access record (taken while the
 *  request is under way: Node detaches a finished request's socket). */
export function requestFacts(req: IncomingMessage, trusted: boolean): Pick<AccessEntry, 'host' | 'fwd' | 'protocol'> {
  const socket = req.socket as IncomingMessage['socket'] | null;
  return {
    host: req.headers.host ?? '',
    fwd: forwardedFor(socket?.remoteAddress, req.headers, trusted),
    protocol: socket !== null && 'encrypted' in socket ? 'https' : 'http',
  };
}
