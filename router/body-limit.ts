// Request body size limit (413). A declared Content-Length over the limit is refused before
// anything reaches the app; a chunked body is counted as it streams and, once over, the
// exchange is cut: a 413 if the app has not answered yet, and the connection is closed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendPage } from './error-pages.ts';

export type BodyCheck = 'ok' | 'too-large';

/**
 * Returns 'too-large' (after answering 413) when the declared length exceeds the limit;
 * otherwise 'ok', and a chunked body is watched (onExceeded is called if it grows too large).
 */
export function limitBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, requestId: string, onExceeded: () => void): BodyCheck {
  if (maxBytes <= 0) return 'ok';
  const declared = req.headers['content-length'];
  if (declared !== undefined && req.headers['transfer-encoding'] === undefined) {
    if (Number(declared) <= maxBytes) return 'ok';
    refuse(req, res, requestId);
    return 'too-large';
  }
  if (req.headers['transfer-encoding'] === undefined) return 'ok';
  // Chunked: count as the body streams through. Paused first, so that this listener does not
  // start the flow before the upstream request reads the body (which resumes it).
  let seen = 0;
  const count = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen <= maxBytes) return;
    req.off('data', count);
    if (res.headersSent) res.destroy();
    else refuse(req, res, requestId); // the exchange then ends, which stops the upstream request
    onExceeded();
  };
  req.pause();
  req.on('data', count);
  return 'ok';
}

function refuse(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  res.shouldKeepAlive = false; // the rest of the body is not read: close after the page
  sendPage(res, 'payload-too-large', requestId);
  res.once('finish', () => req.socket.destroySoon());
}
