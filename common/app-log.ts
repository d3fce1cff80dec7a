// Platform-side log lines of an app (router access lines, API events) go to one capped Redis
// stream per app; the controller merges it with the containers' own output in the log stream.
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

export async function appendAppLog(redis: Redis, prefix: string, app: string, entry: Omit<LogEntry, 'time'> & { time?: string }): Promise<void> {
  const time = entry.time ?? new Date().toISOString();
  await redis.xadd(appLogKey(prefix, app), 'MAXLEN', '~', '2000', '*', 'time', time, 'source', entry.source, 'dyno', entry.dyno, 'line', entry.line);
}

export function entryFromFields(fields: string[]): LogEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return { time: f.time ?? '', source: f.source ?? 'api', dyno: f.dyno ?? '', line: f.line ?? '' };
}

export interface AccessRecord {
  app: string | null; dyno: string | null; method: string; path: string; status: number; bytes: number; durationMs: number; requestId: string;
}

/** Heroku router style: `at=info method=GET path="/" request_id=… dyno=web.1 service=3ms status=200 bytes=12`. */
export function formatAccessLine(a: AccessRecord): string {
  const at = a.status >= 500 ? 'error' : 'info';
  return `at=${at} method=${a.method} path=${JSON.stringify(a.path)} request_id=${a.requestId} dyno=${a.dyno ?? 'none'} service=${Math.round(a.durationMs)}ms status=${a.status} bytes=${a.bytes}`;
}

/** An onAccess callback for the router that appends to the app's log stream. */
export function accessLogger(redis: Redis, prefix: string): (a: AccessRecord) => void {
  return (a) => {
    if (!a.app) return;
    void appendAppLog(redis, prefix, a.app, { source: 'paas', dyno: 'router', line: formatAccessLine(a) }).catch(() => undefined);
  };
}
