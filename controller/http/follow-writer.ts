// Writes of a following response (live logs, build output): a client that stops reading makes
// Node buffer what is written to it. Past `max` unread bytes the response is ended with a note
// instead, so a client cannot make paasd hold a log in memory by not reading it.
import type { Response } from 'express';

export const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

export function boundedWriter(res: Response, stop: AbortController, max = MAX_UNREAD_BYTES): (text: string) => void {
  return (text) => {
    if (stop.signal.aborted) return;
    if (res.writableLength > max) {
      res.write('\n !     Stopped following: this client read too slowly. Follow again to go on.\n');
      stop.abort();
      return;
    }
    res.write(text);
  };
}
