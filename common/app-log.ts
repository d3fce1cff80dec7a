// Every log line of an app goes to one capped Redis stream per app: the dynos' output (paasd
// collects it: controller/services/dyno-output.ts), router access lines, API and release events,
// one-off output. `paas logs`, log drains and the kept history read it (docs/logging.md).
import type { Redis } from 'ioredis';
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

export function entryFromFields(fields: string[]): LogEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return { time: f.time ?? '', source: f.source ?? 'api', dyno: f.dyno ?? '', line: f.line ?? '' };
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

const q = (s: string): string => JSON.stringify(s);

/** Heroku's router line: `at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1
 *  connect=1ms service=3ms status=200 bytes=12 protocol=http`, with `code=H12 desc="…"` after
 *  `at=` when the router decided the outcome. */
export function formatAccessLine(a: AccessRecord): string {
  const err = a.code === undefined ? null : ROUTER_ERRORS[a.code];
  const connect = Math.round(a.connectMs ?? 0);
  const service = Math.max(0, Math.round(a.durationMs) - connect);
  return `at=${err?.level ?? 'info'}${err ? ` code=${a.code} desc=${q(err.desc)}` : ''} method=${a.method} path=${q(a.path)}`
    + ` host=${a.host ?? ''} request_id=${a.requestId} fwd=${q(a.fwd ?? '')} dyno=${a.dyno ?? 'none'}`
    + ` connect=${connect}ms service=${service}ms status=${a.status} bytes=${a.bytes}${a.protocol ? ` protocol=${a.protocol}` : ''}`;
}

/** Access lines waiting for one flush at most; beyond, lines are dropped (Redis is not keeping up). */
const MAX_PENDING_ACCESS_LINES = 10_000;

/** Appends router lines to app log streams. KEYS: the streams; ARGV: MAXLEN, then per line the
 *  index of its stream in KEYS, its time and the line. */
const APPEND_ROUTER_LINES = `for i = 2, #ARGV, 3 do
  redis.call('XADD', KEYS[tonumber(ARGV[i])], 'MAXLEN', '~', ARGV[1], '*', 'time', ARGV[i + 1], 'source', 'paas', 'dyno', 'router', 'line', ARGV[i + 2])
end
return 0`;

/**
 * An onAccess callback for the router that appends to the app's log stream. The lines of all
 * requests that end in one turn of the event loop go to Redis as one command (a script that
 * appends each), not one round trip or one client command object each: at thousands of
 * requests a second, the per-command work of the Redis client was a tenth of the router's CPU.
 */
export function accessLogger(redis: Redis, prefix: string): (a: AccessRecord) => void {
  let keys: string[] = [];
  let keyIndex = new Map<string, number>();
  let args: string[] = [];
  let lines = 0;
  let lastMs = 0;
  let lastIso = '';
  const flush = (): void => {
    const batch = [...keys, String(APP_LOG_MAX_ENTRIES), ...args];
    const numKeys = keys.length;
    keys = [];
    keyIndex = new Map();
    args = [];
    lines = 0;
    redis.eval(APPEND_ROUTER_LINES, numKeys, ...batch).catch(() => undefined);
  };
  return (a) => {
    if (!a.app || lines >= MAX_PENDING_ACCESS_LINES) return;
    if (lines === 0) setImmediate(flush);
    lines++;
    let index = keyIndex.get(a.app);
    if (index === undefined) {
      index = keys.push(appLogKey(prefix, a.app));
      keyIndex.set(a.app, index);
    }
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    args.push(String(index), lastIso, formatAccessLine(a));
  };
}
