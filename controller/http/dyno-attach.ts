// GET /apps/:app/dynos/:dyno/attach/:secret with `Upgrade: websocket` (common/run-protocol.ts):
// the client of an attached one-off. The token (with the API's limits), the caller's access to
// the app and the run's secret (only its creator has it) are checked before the upgrade; the
// process starts once the socket is open. A closed or silent socket (no pong within two heartbeats) hangs the run up.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { errorMessage, ForbiddenError, NotFoundError, PaasError } from '../../common/errors.ts';
import { CHANNEL, dataFrame, readControl, readDataFrame, RUN_PROTOCOL, type RunControl } from '../../common/run-protocol.ts';
import type { AttachedRun, OneOffRuns, PendingRun } from '../services/one-off-runs.ts';
import { authorizeApp } from '../services/access.ts';
import type { Db } from '../store/db.ts';
import { userOfRequest } from './auth.ts';
import { RateLimitError, type RequestLimits } from './rate-limit.ts';

const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
const PATH = /^\/apps\/([^/]+)\/dynos\/([^/]+)\/attach\/([A-Za-z0-9_-]{16,128})$/;

export const attachUrl = (apiUrl: string, app: string, dyno: string, secret: string): string =>
  `${apiUrl.replace(/^http/, 'ws')}/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(dyno)}/attach/${secret}`;

export interface AttachHandler {
  /** Handles an HTTP upgrade request; false if it is not an attach request (not handled). */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/** An error answer on a socket that was not upgraded (the same problem+json as the API's). */
function refuse(socket: Duplex, err: PaasError): void {
  const body = JSON.stringify({ id: err.id, message: err.message, status: err.status, title: err.id.replace(/_/g, ' '), detail: err.message });
  const retry = err instanceof RateLimitError ? `Retry-After: ${err.retryAfterSec}\r\n` : '';
  socket.end(`HTTP/1.1 ${err.status} ${err.id.replace(/_/g, ' ')}\r\nContent-Type: application/problem+json\r\n${retry}`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function createAttachHandler(deps: { db: Db; runs: OneOffRuns; limits: RequestLimits; logError: (err: unknown) => void; heartbeatMs?: number }): AttachHandler {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(RUN_PROTOCOL) ? RUN_PROTOCOL : false),
  });
  const heartbeatMs = deps.heartbeatMs ?? 5000;

  /** Who may attach: the run's creator, still with access to its app. */
  function authorise(req: http.IncomingMessage, app: string, dyno: string, secret: string): PendingRun {
    const { user, scope } = userOfRequest(deps.db, deps.limits, req);
    if (scope.scope !== 'global') throw new ForbiddenError('This token is a deploy token: it may not attach to runs.');
    const wait = deps.limits.accounts.take(user.id);
    if (wait > 0) throw new RateLimitError(undefined, wait);
    authorizeApp(deps.db, user, app);
    const run = deps.runs.pending(secret);
    if (!run || run.via !== 'websocket' || run.app !== app || run.name !== dyno || run.userId !== user.id) {
      throw new NotFoundError(`No run ${dyno} of ${app} is waiting for this client (it ended, another client attached, or it waited too long).`);
    }
    return run;
  }

  function session(ws: WebSocket, run: PendingRun): void {
    const send = (m: RunControl): void => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m)); };
    let attached: AttachedRun | null = null;
    let closed = false;
    let exited = false;
    const early: Array<(a: AttachedRun) => void> = [];
    let writing = 0;
    const withRun = (fn: (a: AttachedRun) => void): void => { if (attached) fn(attached); else early.push(fn); };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        const frame = readDataFrame(buf);
        if (frame?.channel === CHANNEL.stdin && frame.data.length > 0) {
          // Flow control: no more frames are read from the client until the process took these bytes.
          withRun((a) => {
            writing++;
            ws.pause();
            void a.write(frame.data).finally(() => { if (--writing === 0) ws.resume(); });
          });
        }
        return;
      }
      const m = readControl(buf.toString('utf8'));
      if (m?.type === 'resize') withRun((a) => a.resize(m.cols, m.rows));
      else if (m?.type === 'eof') withRun((a) => a.eof());
    });
    let alive = true;
    ws.on('pong', () => { alive = true; });
    const heartbeat = setInterval(() => {
      if (!alive) { ws.terminate(); return; }
      alive = false;
      ws.ping();
    }, heartbeatMs);
    ws.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      if (!exited) withRun((a) => a.hangup());
    });
    ws.on('error', () => undefined);

    send({ type: 'started', dyno: run.name, tty: run.tty });
    // Flow control: a client slower than the process's output pauses the output until the
    // socket's buffer has drained (the controller never holds more than ~1 MiB of it).
    let paused = false;
    const drain = (): void => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount < LOW_WATER) { paused = false; attached?.resume(); return; }
      setTimeout(drain, 20);
    };
    run.attach({
      output: (stream, chunk) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(dataFrame(stream === 'stdout' ? CHANNEL.stdout : CHANNEL.stderr, chunk));
        if (!paused && ws.bufferedAmount > HIGH_WATER) { paused = true; attached?.pause(); setTimeout(drain, 20); }
      },
      exit: (code) => {
        exited = true;
        send({ type: 'exit', code });
        ws.close(1000, 'exited');
      },
    }).then((a) => {
      attached = a;
      for (const fn of early.splice(0)) fn(a);
      if (closed && !exited) a.hangup();
    }, (err: unknown) => {
      if (!(err instanceof PaasError)) deps.logError(err);
      send({ type: 'error', id: err instanceof PaasError ? err.id : 'internal_server_error', message: err instanceof PaasError ? err.message : `The run could not start: ${errorMessage(err)}` });
      ws.close(1011, 'not started');
    });
  }

  return {
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = PATH.exec(url.pathname);
      if (!m) return false;
      socket.on('error', () => undefined);
      let run: PendingRun;
      try {
        if (req.method !== 'GET' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
          throw new PaasError('bad_request', 400, 'Attach with a WebSocket (GET with Upgrade: websocket).');
        }
        run = authorise(req, decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3]);
        const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
        if (!offered.includes(RUN_PROTOCOL)) throw new PaasError('bad_request', 400, `Ask for the WebSocket subprotocol ${RUN_PROTOCOL}.`);
      } catch (err) {
        if (err instanceof PaasError) refuse(socket, err);
        else { deps.logError(err); socket.destroy(); }
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => session(ws, run));
      return true;
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
