// GET /apps/:app/log-stream?lines=100&tail=true&dyno=web.1&source=app — the app's log: its
// dynos' output, router access lines and platform events (one Redis stream), in Heroku's line
// format: text lines, or server-sent events (one `data:` per line) for `Accept: text/event-stream`
// (a browser's EventSource: the dashboard's live tail).
// The same lines reach the Heroku CLI as server-sent events through log sessions (log-sessions.ts).
import { Router, type Response } from 'express';
import type { Redis } from 'ioredis';
import { entriesFromFields, formatLogEntry, type LogEntry } from '../../common/app-log.ts';
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

/** Lines looked at per round trip while looking back for lines that match a filter. */
const SCAN_LINES = 2000;
/** Entries read by the first round trip (an entry may be a batch of up to MAX_BATCH_LINES router
 *  lines, so asking for as many entries as lines could read far more than needed), and by any. */
const FIRST_CHUNK = 64;
const MAX_CHUNK = 2000;

/** The last `lines` lines that `keep` accepts (oldest first), and the id following starts
 *  after: the newest entry, or "0-0" for an empty stream (so a line added meanwhile is not
 *  missed). Entries hold one line or a batch: each round trip asks for about as many entries as
 *  hold the lines still wanted, at the lines per entry seen so far. A filtered history looks back
 *  through the whole kept log if it must. */
async function history(redis: Redis, key: string, lines: number, keep: ((e: LogEntry) => boolean) | null): Promise<{ entries: LogEntry[]; lastId: string }> {
  const found: LogEntry[] = [];
  let lastId: string | null = null;
  let before = '+';
  let entriesSeen = 0;
  let linesSeen = 0;
  while (found.length < lines || lastId === null) {
    const wanted = keep ? SCAN_LINES : lines - found.length;
    const count = Math.max(1, Math.min(entriesSeen ? MAX_CHUNK : FIRST_CHUNK, Math.ceil(wanted * (entriesSeen || 1) / (linesSeen || 1))));
    const chunk = await redis.xrevrange(key, before, '-', 'COUNT', count);
    lastId ??= chunk[0]?.[0] ?? '0-0';
    for (const [, f] of chunk) {
      const all = entriesFromFields(f);
      entriesSeen++;
      linesSeen += all.length;
      for (let i = all.length - 1; i >= 0 && found.length < lines; i--) if (!keep || keep(all[i])) found.push(all[i]);
    }
    if (chunk.length < count) break;
    before = `(${chunk[chunk.length - 1][0]}`;
  }
  return { entries: found.reverse(), lastId };
}

export function createAppLogReader(deps: ApiDeps): AppLogReader {
  let own: StreamTailer | null = null;
  const tail = (): StreamTailer => deps.tail ?? (own ??= createStreamTailer(deps.redis));
  return async (app, { lines, follow, dyno, source }, write, signal) => {
    // One stream has it all: dyno output (services/dyno-output.ts), router, API, release,
    // one-off and drain lines, in the order they arrived.
    const keep = (e: LogEntry): boolean => (!source || e.source === source) && (!dyno || e.dyno === dyno || e.dyno.split('.')[0] === dyno);
    const key = appLogKey(deps.config.redisPrefix, app.name);
    const { entries, lastId } = await history(deps.redis, key, lines, dyno || source ? keep : null);
    for (const e of entries) write(formatLogEntry(e));
    if (!follow) return;
    // Live, over the API's one shared follower connection however many clients follow, until
    // the client goes away (or reads too slowly: the routes write through follow-writer.ts).
    await tail().follow(key, lastId, (list) => {
      for (const [, fields] of list) {
        for (const e of entriesFromFields(fields)) if (keep(e)) write(formatLogEntry(e));
      }
    }, signal);
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
