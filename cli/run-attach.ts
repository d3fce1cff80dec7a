// The client side of an attached one-off (common/run-protocol.ts): this terminal's stdin to the
// dyno, its output back, the terminal in raw mode with its size while a TTY is wanted, restored
// on exit, on a dropped connection and on signals. Resolves with the dyno's exit status.
import WebSocket from 'ws';
import { CHANNEL, dataFrame, readControl, readDataFrame, RUN_PROTOCOL, type RunControl } from '../common/run-protocol.ts';
import { CliError } from './client.ts';

export interface AttachOptions {
  url: string;
  token: string | null;
  /** Raw mode and resizes (stdin is a terminal and --no-tty was not given). */
  tty: boolean;
  onStarted(): void;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export function attachRun(opts: AttachOptions): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const ws = new WebSocket(opts.url, RUN_PROTOCOL, { headers: { authorization: `Bearer ${opts.token ?? ''}` }, perMessageDeflate: false });
  const control = (m: RunControl): void => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };

  return new Promise<number>((resolve, reject) => {
    let exitCode: number | null = null;
    let failure: string | null = null;
    let raw = false;
    // Flow control both ways: stdin is paused while the socket holds over 1 MiB unsent, and the
    // socket is not read while stdout (a slow pipe) has not drained.
    const onData = (chunk: Buffer): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(dataFrame(CHANNEL.stdin, chunk));
      if (ws.bufferedAmount > 1024 * 1024) {
        stdin.pause();
        const poll = (): void => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (ws.bufferedAmount < 256 * 1024) stdin.resume(); else setTimeout(poll, 20);
        };
        setTimeout(poll, 20);
      }
    };
    const out = (stream: NodeJS.WriteStream, data: Buffer): void => {
      if (!stream.write(data)) { ws.pause(); stream.once('drain', () => ws.resume()); }
    };
    const onEnd = (): void => control({ type: 'eof' });
    const onResize = (): void => control({ type: 'resize', cols: stdout.columns, rows: stdout.rows });
    // Without a TTY a Ctrl-C here ends the client; the dyno is hung up when the socket closes.
    const onSignal = (): void => { failure = 'Interrupted.'; exitCode = 130; ws.terminate(); };

    const restore = (): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdout.off('resize', onResize);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      if (raw) { stdin.setRawMode(false); raw = false; }
      stdin.pause();
      stdin.unref?.();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);

    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        let message = `The API refused to attach (HTTP ${res.statusCode}).`;
        try { message = (JSON.parse(body) as { message?: string }).message ?? message; } catch { /* not JSON */ }
        failure = message;
        ws.terminate();
      });
    });
    ws.on('open', () => {
      if (opts.tty) {
        stdin.setRawMode(true);
        raw = true;
        stdout.on('resize', onResize);
      }
      stdin.on('data', onData);
      if (!opts.tty) stdin.on('end', onEnd);
      stdin.resume();
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        const frame = readDataFrame(buf);
        if (frame?.channel === CHANNEL.stdout) out(stdout, frame.data);
        else if (frame?.channel === CHANNEL.stderr) out(stderr, frame.data);
        return;
      }
      const m = readControl(buf.toString('utf8'));
      if (m?.type === 'started') opts.onStarted();
      else if (m?.type === 'exit') exitCode = m.code;
      else if (m?.type === 'error') failure = m.message;
    });
    ws.on('error', (err) => { failure ??= `Cannot reach the run at ${new URL(opts.url).host}: ${err.message}`; });
    ws.on('close', () => {
      restore();
      if (exitCode !== null && (failure === null || exitCode === 130)) resolve(exitCode);
      else reject(new CliError(failure ?? 'The connection closed before the process ended.'));
    });
  });
}
