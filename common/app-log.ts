// Every log line of an app goes to one capped Redis stream per app: the dynos' output (paasd
// collects it: controller/services/dyno-output.ts), router access lines, API and release events,
// one-off output. `paas logs`, log drains and the kept history read it (docs/logging.md).
import { Command, type Redis } from 'ioredis';
import { appLogKey } from './redis-keys.ts';

export interface LogEntry {
  /** ISO timestamp. */
  time: string;
  /** "app" (container output), "router", "api", "build". */
  source: string;
  /** Dyno name for app lines ("web.1"), else the component ("router"). */
  dyno: string;
  line: string;
}


/** Heroku's log line format: `2026-11-23T10:00:00.000Z app[web.1]: message`. */
export function formatLogEntry(e: LogEntry): string {
  return `${e.time} ${e.source}[${e.dyno}]: ${e.line}`;
}

/** Most entries an app log stream keeps (about, XADD MAXLEN ~); paasd also trims each to
 *  PAAS_LOG_HISTORY_MB of memory (controller/services/log-history.ts). */
export const APP_LOG_MAX_ENTRIES = 50_000;

export async function appendAppLog(redis: Redis, prefix: string, app: string, entry: Omit<LogEntry, 'time'> & { time?: string }): Promise<void> {
  const time = entry.time ?? new Date().toISOString();
  await redis.xadd(appLogKey(prefix, app), 'MAXLEN', '~', String(APP_LOG_MAX_ENTRIES), '*', 'time', time, 'source', entry.source, 'dyno', entry.dyno, 'line', entry.line);
}

/** A stream entry holds one line (`time source dyno line`: app output, API, build and drain
 *  lines, appendAppLog) or a batch of one source's lines (`source dyno lines`, the router's lines
 *  of one flush, accessLogger): `lines` is "<ISO time> <line>" lines joined by "\n". */
export const BATCH_SEPARATOR = '\n';

/** At most this many lines, and about this many characters, in one batch entry. */
export const MAX_BATCH_LINES = 200;
export const MAX_BATCH_CHARS = 64 * 1024;

/** The line as one line: a CR or LF in it (from a tenant) becomes \r or \n, so it can never
 *  split into more lines of a batch entry or of `paas logs`. */
export function oneLine(line: string): string {
  return /[\r\n]/.test(line) ? line.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : line;
}

/** One line of a batch entry's `lines` field. */
export const batchLine = (time: string, line: string): string => `${time} ${oneLine(line)}`;

/** The fields of a batch entry whose lines are in batch form already (batchLine's, one line
 *  each; a non-empty list, of one source and dyno). */
export function batchFields(source: string, dyno: string, lines: string[]): string[] {
  return ['source', source, 'dyno', dyno, 'lines', lines.join(BATCH_SEPARATOR)];
}

/** The fields of a batch entry of `lines` (a non-empty list, of one source and dyno). */
export function batchEntryFields(source: string, dyno: string, lines: Array<{ time: string; line: string }>): string[] {
  return batchFields(source, dyno, lines.map((l) => batchLine(l.time, l.line)));
}

/** Every log line of a stream entry, oldest first: one for a single-line entry, all of a batch. */
export function entriesFromFields(fields: string[]): LogEntry[] {
  let time = '';
  let source = 'api';
  let dyno = '';
  let line = '';
  let lines: string | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const v = fields[i + 1];
    switch (fields[i]) {
      case 'time': time = v; break;
      case 'source': source = v; break;
      case 'dyno': dyno = v; break;
      case 'line': line = v; break;
      case 'lines': lines = v; break;
    }
  }
  if (lines === null) return [{ time, source, dyno, line }];
  return lines.split(BATCH_SEPARATOR).map((l) => {
    const sp = l.indexOf(' ');
    return sp === -1 ? { time, source, dyno, line: l } : { time: l.slice(0, sp), source, dyno, line: l.slice(sp + 1) };
  });
}

/** Heroku's router error codes the router can tell apart (devcenter "Heroku Error Codes"). */
export type RouterErrorCode = 'H10' | 'H12' | 'H13' | 'H18' | 'H19' | 'H27' | 'H80';

export const ROUTER_ERRORS: Record<RouterErrorCode, { desc: string; level: 'info' | 'error' }> = {
  H10: { desc: 'App crashed', level: 'error' },
  H12: { desc: 'Request timeout', level: 'error' },
  H13: { desc: 'Connection closed without response', level: 'error' },
  H18: { desc: 'Server Request Interrupted', level: 'error' },
  H19: { desc: 'Backend connection timeout', level: 'error' },
  H27: { desc: 'Client Request Interrupted', level: 'info' },
  H80: { desc: 'Maintenance mode', level: 'info' },
};

/** One request as the router saw it (the router's AccessEntry). */
export interface AccessRecord {
  app: string | null;
  dyno: string | null;
  method: string;
  path: string;
  /** Status sent to the client; 499 when the client left before a response started. */
  status: number;
  /** Response body bytes sent. */
  bytes: number;
  /** From the request's arrival to its end. */
  durationMs: number;
  requestId: string;
  /** The Host header as received. */
  host?: string;
  /** The client's address (after trusted proxies' X-Forwarded-For, as the app gets it). */
  fwd?: string;
  protocol?: 'http' | 'https';
  /** Time to get a connection to the dyno (0 for a pooled one), part of durationMs. */
  connectMs?: number;
  /** Set when the router, not the app, decided the outcome. */
  code?: RouterErrorCode;
}

/** Printable ASCII but the double quote and backslash: quoted as it is (JSON.stringify, which
 *  escapes the rest, costs several times more per request). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const q = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
/** Visible ASCII but the double quote: printed bare; anything else (a space, a quote, a control
 *  character: CR, LF) is quoted and escaped, so a tenant's Host header cannot forge fields or lines. */
const BARE = /^[\x21\x23-\x7e]*$/;
const bare = (s: string): string => (BARE.test(s) ? s : q(s));

/** Heroku's router line: `at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1
 *  connect=1ms service=3ms status=200 bytes=12 protocol=http`, with `code=H12 desc="…"` after
 *  `at=` when the router decided the outcome. Always one line: path and fwd are quoted, method,
 *  host, request id and dyno quoted when they hold anything but visible ASCII. */
export function formatAccessLine(a: AccessRecord): string {
  const err = a.code === undefined ? null : ROUTER_ERRORS[a.code];
  const connect = Math.round(a.connectMs ?? 0);
  const service = Math.max(0, Math.round(a.durationMs) - connect);
  return `at=${err?.level ?? 'info'}${err ? ` code=${a.code} desc=${q(err.desc)}` : ''} method=${bare(a.method)} path=${q(a.path)}`
    + ` host=${bare(a.host ?? '')} request_id=${bare(a.requestId)} fwd=${q(a.fwd ?? '')} dyno=${bare(a.dyno ?? 'none')}`
    + ` connect=${connect}ms service=${service}ms status=${a.status} bytes=${a.bytes}${a.protocol ? ` protocol=${a.protocol}` : ''}`;
}

/** Access lines waiting for one flush at most; beyond, lines are dropped (Redis is not keeping up). */
const MAX_PENDING_ACCESS_LINES = 10_000;

/** One app's router lines of a flush, in batch form; joined once, when written (a string grown
 *  line by line is a rope that the Redis client would flatten, measure and encode in three passes). */
interface Batch { key: string; lines: string[]; chars: number }

/** Longest a router line waits before it is written (the batching window). */
export const ACCESS_FLUSH_MS = 10;

/** The router's access log: call it with each request's record; flush() writes what waits now. */
export interface AccessLogger {
  (a: AccessRecord): void;
  flush(): Promise<void>;
}

/**
 * An onAccess callback for the router that appends to the app's log stream. The lines of the
 * requests that end within ACCESS_FLUSH_MS go to Redis together, and the lines of one app as ONE
 * stream entry (a batch: entriesFromFields) of at most MAX_BATCH_LINES lines and about
 * MAX_BATCH_CHARS: one XADD per app per flush, not per line. At thousands of requests a second,
 * an XADD per line cost Redis (with its append-only file) more CPU than nginx spends on a whole
 * request, and the router a tenth of its CPU in the Redis client.
 */
export function accessLogger(redis: Redis, prefix: string, flushMs = ACCESS_FLUSH_MS): AccessLogger {
  let open = new Map<string, Batch>();
  let full: Batch[] = [];
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastMs = 0;
  let lastIso = '';
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batches = full;
    for (const b of open.values()) batches.push(b);
    open = new Map();
    full = [];
    pending = 0;
    if (batches.length === 0) return;
    await Promise.all(batches.map((b) => append(b)));
  };
  // One XADD per batch, whose arguments are let go as soon as it is answered: a finished ioredis
  // command is still reached by V8's young-generation collections (measured: every batch sent
  // since the previous collection survived it, ~1.3 MB promoted each time at 23k requests/s,
  // scavenge pauses of 2.2 ms instead of 0.6 and a full collection every ~3 s).
  const append = async (b: Batch): Promise<void> => {
    const cmd = new Command('xadd', [b.key, 'MAXLEN', '~', String(APP_LOG_MAX_ENTRIES), '*', ...batchFields('paas', 'router', b.lines)]);
    try {
      await redis.sendCommand(cmd);
    } catch {
      // Redis unreachable: the lines are lost (the router keeps serving).
    } finally {
      cmd.args = [];
    }
  };
  const log = (a: AccessRecord): void => {
    if (!a.app || pending >= MAX_PENDING_ACCESS_LINES) return;
    if (pending === 0) timer = setTimeout(() => void flush(), flushMs);
    pending++;
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    // batchLine without its scan for CR and LF: formatAccessLine's output is one line.
    const line = `${lastIso} ${formatAccessLine(a)}`;
    const b = open.get(a.app);
    if (b !== undefined && b.lines.length < MAX_BATCH_LINES && b.chars + line.length < MAX_BATCH_CHARS) {
      b.lines.push(line);
      b.chars += line.length + 1;
      return;
    }
    if (b !== undefined) full.push(b);
    open.set(a.app, { key: appLogKey(prefix, a.app), lines: [line], chars: line.length });
  };
  return Object.assign(log, { flush });
}
