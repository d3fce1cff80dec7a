// The wire contract of an attached one-off dyno (`paas run`): a WebSocket on the API's port,
// GET <attach_url> with the API token as a Bearer token (subprotocol RUN_PROTOCOL).
//   binary frames: one channel byte, then raw bytes (client -> dyno: stdin; dyno -> client:
//                  stdout, or the terminal's output with a TTY; stderr, never with a TTY)
//   text frames:   one JSON control message (RunControl)
// The dyno's last message is {type:'exit'}; the server closes the socket after it.
export const RUN_PROTOCOL = 'paas-run.v1';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

export type RunControl =
  /** client -> dyno: the terminal's size changed (TTY only). */
  | { type: 'resize'; cols: number; rows: number }
  /** client -> dyno: stdin ended (pipes only; with a TTY, Ctrl-D is a byte like any other). */
  | { type: 'eof' }
  /** dyno -> client: the client is attached; the process starts now (its output follows). */
  | { type: 'started'; dyno: string; tty: boolean }
  /** dyno -> client: the process ended; code is its exit status (128+N for signal N). */
  | { type: 'exit'; code: number; reason?: string }
  /** dyno -> client: the run could not start or was cut off. */
  | { type: 'error'; id: string; message: string };

/** Largest terminal size accepted (columns and rows). */
export const MAX_TERMINAL = 10_000;

export function dataFrame(channel: Channel, data: Buffer | Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(data.length + 1);
  frame[0] = channel;
  frame.set(data, 1);
  return frame;
}

export function readDataFrame(frame: Buffer): { channel: number; data: Buffer } | null {
  return frame.length === 0 ? null : { channel: frame[0], data: frame.subarray(1) };
}

const validSize = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_TERMINAL;

/** A control message as the other side sent it, checked field by field; null if malformed. */
export function readControl(text: string): RunControl | null {
  let m: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    m = parsed as Record<string, unknown>;
  } catch { return null; }
  switch (m.type) {
    case 'resize': return validSize(m.cols) && validSize(m.rows) ? { type: 'resize', cols: m.cols, rows: m.rows } : null;
    case 'eof': return { type: 'eof' };
    case 'started': return typeof m.dyno === 'string' ? { type: 'started', dyno: m.dyno, tty: m.tty === true } : null;
    case 'exit': return Number.isInteger(m.code) ? { type: 'exit', code: m.code as number, ...(typeof m.reason === 'string' ? { reason: m.reason } : {}) } : null;
    case 'error': return typeof m.message === 'string' ? { type: 'error', id: typeof m.id === 'string' ? m.id : 'error', message: m.message } : null;
    default: return null;
  }
}
