// Heroku's rendezvous protocol for attached one-offs (`heroku run`): the API answers
// `attach_url = rendezvous://HOST:PORT/SECRET`; the client opens TLS to HOST:PORT and sends
// `SECRET\r\n`; the server answers one line (`rendezvous\r\n`, which the Heroku CLI discards),
// then the connection carries the dyno's terminal both ways as raw bytes, and the server closes
// it when the process ends. The secret is the only credential (the CLI sends nothing else): it
// is 192 random bits, made for this run and this protocol, single-use, valid for the attach
// timeout, compared in constant time (services/one-off-runs.ts `pending`). A connection gets a
// few seconds and a few hundred bytes to name it; unnamed connections are capped per address.
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { errorMessage, PaasError } from '../../common/errors.ts';
import type { AttachedRun, OneOffRuns, PendingRun } from '../services/one-off-runs.ts';

export interface RendezvousOptions {
  runs: OneOffRuns;
  cert: { cert: string; key: string };
  bind: string;
  /** 0: any free port. */
  port: number;
  log: (line: string) => void;
  /** Ms a client has for its TLS handshake and then for its secret line (default 10 s). */
  handshakeMs?: number;
  /** Connections that have not yet named a run, per client address (default 8). */
  maxUnnamedPerAddress?: number;
}

export interface Rendezvous {
  port: number;
  /** The attach URL of a run with this secret. */
  url(host: string, secret: string): string;
  close(): Promise<void>;
}

/** The Heroku CLI's `--exit-code` appends `; echo "\uFFFF heroku-command-exit-status: $?"` to the
 *  command and reads the status from that line (lib/run/dyno.js). */
export const EXIT_MARKER = '\uFFFF heroku-command-exit-status:';
const EXIT_MARKER_BYTES = Buffer.from(EXIT_MARKER);
const MAX_LINE = 256;
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;
const HIGH_WATER = 1024 * 1024;
const EOT = 0x04;

export async function startRendezvous(opts: RendezvousOptions): Promise<Rendezvous> {
  const handshakeMs = opts.handshakeMs ?? 10_000;
  const maxUnnamed = opts.maxUnnamedPerAddress ?? 8;
  const unnamed = new Map<string, number>();
  const sockets = new Set<tls.TLSSocket>();

  const server = tls.createServer({ cert: opts.cert.cert, key: opts.cert.key, minVersion: 'TLSv1.2', handshakeTimeout: handshakeMs }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const address = socket.remoteAddress ?? '';
    if ((unnamed.get(address) ?? 0) >= maxUnnamed) { socket.destroy(); return; }
    unnamed.set(address, (unnamed.get(address) ?? 0) + 1);
    let named = false;
    const nameDone = (): void => {
      if (named) return;
      named = true;
      const n = (unnamed.get(address) ?? 1) - 1;
      if (n > 0) unnamed.set(address, n); else unnamed.delete(address);
    };
    socket.on('close', nameDone);
    socket.setTimeout(handshakeMs, () => socket.destroy());

    let buffered = Buffer.alloc(0);
    const onLine = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(0x0a);
      if (nl < 0) {
        if (buffered.length > MAX_LINE) socket.destroy();
        return;
      }
      socket.off('data', onLine);
      socket.pause();
      nameDone();
      socket.setTimeout(0);
      const secret = buffered.subarray(0, nl).toString('latin1').replace(/\r$/, '');
      const rest = buffered.subarray(nl + 1);
      const run = SECRET.test(secret) ? opts.runs.pending(secret) : null;
      if (!run || run.via !== 'rendezvous') {
        socket.end('paas: no run is waiting for this secret (it ended, another client attached, or it waited too long)\r\n');
        return;
      }
      session(socket, run, rest);
    };
    socket.on('data', onLine);
  });

  function session(socket: tls.TLSSocket, run: PendingRun, early: Buffer): void {
    socket.setKeepAlive(true, 30_000);
    socket.setNoDelay(true);
    let attached: AttachedRun | null = null;
    let exited = false;
    let clientGone = false;
    /** The last bytes of output, for a marker split between two chunks. */
    let tail = Buffer.alloc(0);
    let markerSeen = false;
    let paused = false;
    const wantsMarker = run.command.includes(EXIT_MARKER);

    const input = (chunk: Buffer): void => {
      if (!attached || chunk.length === 0) return;
      const a = attached;
      // Without a TTY the CLI ends piped stdin with a Ctrl-D byte: that is the end of input
      // (with a TTY, the terminal itself reads it as end of file).
      const eof = !run.tty && chunk[chunk.length - 1] === EOT;
      const data = eof ? chunk.subarray(0, -1) : chunk;
      socket.pause();
      void (data.length ? a.write(data) : Promise.resolve()).catch(() => undefined).finally(() => {
        if (eof) a.eof();
        if (!exited && !clientGone) socket.resume();
      });
    };
    const gone = (): void => {
      if (clientGone) return;
      clientGone = true;
      if (!exited) attached?.hangup();
    };
    socket.on('end', gone);
    socket.on('close', gone);

    socket.write('rendezvous\r\n');
    run.attach({
      output: (_stream, chunk) => {
        if (socket.destroyed || socket.writableEnded) return;
        if (wantsMarker && !markerSeen) {
          const window = Buffer.concat([tail, chunk]);
          markerSeen = window.includes(EXIT_MARKER_BYTES);
          tail = window.subarray(Math.max(0, window.length - EXIT_MARKER_BYTES.length));
        }
        // Flow control: a slow client pauses the output while over 1 MiB waits for it.
        if (!socket.write(chunk) && socket.writableLength > HIGH_WATER && attached && !paused) {
          const a = attached;
          paused = true;
          a.pause();
          socket.once('drain', () => { paused = false; a.resume(); });
        }
      },
      exit: (code) => {
        exited = true;
        // The shell never reached the CLI's echo (`exit 3`, a signal, the time limit): the status
        // is told the same way, where Heroku says "No exit code returned".
        if (wantsMarker && !markerSeen && !socket.destroyed && !socket.writableEnded) socket.write(`${EXIT_MARKER} ${code}\n`);
        socket.end();
      },
    }).then((a) => {
      attached = a;
      if (clientGone) { a.hangup(); return; }
      socket.on('data', input);
      input(early);
      socket.resume();
    }, (err: unknown) => {
      if (!(err instanceof PaasError)) opts.log(`rendezvous: ${run.app} ${run.name}: ${errorMessage(err)}`);
      socket.end(`paas: the run could not start: ${err instanceof PaasError ? err.message : errorMessage(err)}\r\n`);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (err) => opts.log(`rendezvous: ${errorMessage(err)}`));
  server.on('tlsClientError', () => undefined);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (host, secret) => `rendezvous://${host.includes(':') ? `[${host}]` : host}:${port}/${secret}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
