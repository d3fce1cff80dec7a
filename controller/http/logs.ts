// GET /apps/:app/log-stream?lines=100&tail=true&dyno=web.1&source=app — the app's log: its
// dynos' output merged with router access lines and platform events, in Heroku's line format:
// text lines, or server-sent events (one `data:` per line) for `Accept: text/event-stream`
// (a browser's EventSource: the dashboard's live tail).
// The same lines reach the Heroku CLI as server-sent events through log sessions (log-sessions.ts).
import { Router, type Response } from 'express';
import type { Redis } from 'ioredis';
import { entryFromFields, formatLogEntry, type LogEntry } from '../../common/app-log.ts';
import { appLogKey } from '../../common/redis-keys.ts';
import { InvalidParamsError } from '../../common/errors.ts';
import { createStreamTailer, type StreamTailer } from '../../common/stream-tailer.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import { boundedWriter } from './follow-writer.ts';

export const MAX_LOG_LINES = 1500;

export interface LogQuery {
  /** History lines first (0..MAX_LOG_LINES). */
  lines: number;
  /** Then new lines until the signal aborts. */
  follow: boolean;
  /** A dyno (web.1) or a process type (web). */
  dyno?: string;
  /** app, router, api, build. */
  source?: string;
}

/** Writes an app's log lines (without newline) to `write`: history, then live ones if asked. */
export type AppLogReader = (app: App, q: LogQuery, write: (line: string) => void, signal: AbortSignal) => Promise<void>;

/** The last `lines` entries, and the id following starts after: the newest entry, or "0-0" for
 *  an empty stream (so that a line added meanwhile is not missed). */
async function platformHistory(redis: Redis, key: string, lines: number): Promise<{ entries: LogEntry[]; lastId: string }> {
  const newestFirst = await redis.xrevrange(key, '+', '-', 'COUNT', Math.max(lines, 1));
  const lastId = newestFirst[0]?.[0] ?? '0-0';
  const entries = lines === 0 ? [] : newestFirst.reverse().map(([, f]) => entryFromFields(f));
  return { entries, lastId };
}

export function createAppLogReader(deps: ApiDeps): AppLogReader {
  let own: StreamTailer | null = null;
  const tail = (): StreamTailer => deps.tail ?? (own ??= createStreamTailer(deps.redis));
  return async (app, { lines, follow, dyno, source }, write, signal) => {
    // Redis has the platform's lines and detached one-offs' output (app[run.N]); Docker has
    // the other dynos' output.
    const wantApp = !source || source === 'app';
    const keep = (e: LogEntry): boolean => (!source || e.source === source) && (!dyno || e.dyno === dyno || e.dyno.split('.')[0] === dyno);
    const key = appLogKey(deps.config.redisPrefix, app.name);

    // History: both sources merged by time, the last `lines`.
    // (Filtered by dyno or source, the last `lines` matching ones are among the whole stream.)
    const platform = await platformHistory(deps.redis, key, dyno || source ? 2000 : lines);
    const hist: LogEntry[] = platform.entries.filter(keep);
    const lastId = platform.lastId;
    if (wantApp) {
      await deps.scheduler.logs(app.name, { dyno, lines, follow: false, signal }, (l) => hist.push({ time: l.time, source: 'app', dyno: l.dyno, line: l.line }));
    }
    hist.sort((a, b) => a.time.localeCompare(b.time));
    for (const e of lines === 0 ? [] : hist.slice(-lines)) write(formatLogEntry(e));
    if (!follow) return;

    // Live: new container output and new platform lines until the client goes away (or reads
    // too slowly: the routes write through follow-writer.ts).
    const live: Promise<void>[] = [];
    if (wantApp) {
      live.push(deps.scheduler.logs(app.name, { dyno, lines: 0, follow: true, signal },
        (l) => write(formatLogEntry({ time: l.time, source: 'app', dyno: l.dyno, line: l.line }))));
    }
    // Over the API's one shared follower connection, however many clients follow.
    live.push(tail().follow(key, lastId, (entries) => {
      for (const [, fields] of entries) {
        const e = entryFromFields(fields);
        if (keep(e)) write(formatLogEntry(e));
      }
    }, signal));
    await Promise.allSettled(live);
  };
}

/** One log line as a server-sent event: its own line breaks become more data: lines of the
 *  same event (the client joins them). */
export const sseEvent = (line: string): string => `data: ${line.replace(/\r?\n|\r/g, '\ndata: ')}\n\n`;

/** Starts a following answer of `type`: its writes are bounded (follow-writer.ts), its signal
 *  aborts once the client goes away. */
export function openFollowing(res: Response, type: string): { write: (text: string) => void; signal: AbortSignal } {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.status(200).type(type);
  res.setHeader('cache-control', 'no-cache');
  res.flushHeaders();
  return { write: boundedWriter(res, abort), signal: abort.signal };
}

export function logsRouter(deps: ApiDeps, read: AppLogReader = createAppLogReader(deps)): Router {
  const r = Router();
  r.get('/apps/:app/log-stream', async (req, res) => {
    const app = appParam(deps, req, res);
    const lines = req.query.lines === undefined ? 100 : Number(req.query.lines);
    if (!Number.isInteger(lines) || lines < 0 || lines > MAX_LOG_LINES) throw new InvalidParamsError(`lines must be an integer from 0 to ${MAX_LOG_LINES}.`);
    const follow = req.query.tail === 'true' || req.query.tail === '1';
    const dyno = typeof req.query.dyno === 'string' && req.query.dyno ? req.query.dyno : undefined;
    const source = typeof req.query.source === 'string' && req.query.source ? req.query.source : undefined;

    const sse = req.accepts(['text/plain', 'text/event-stream']) === 'text/event-stream';
    const { write, signal } = openFollowing(res, sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8');
    await read(app, { lines, follow, dyno, source }, (line) => write(sse ? sseEvent(line) : `${line}\n`), signal);
    res.end();
  });
  return r;
}
