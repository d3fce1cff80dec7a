// Buffering of small request bodies, so an idempotent request can be replayed on another backend.
import type { IncomingMessage } from 'node:http';

/** Body size announced by the client: 0 for none, null when unknown (chunked). */
export function declaredBodyLength(req: IncomingMessage): number | null {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return null;
  const cl = req.headers['content-length'];
  if (cl === undefined) return 0;
  const n = Number(cl);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads the whole body; rejects if the client goes away first. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('client closed the request before its body was read'));
    });
  });
}
