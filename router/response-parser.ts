// Reads an app's HTTP/1.1 responses off its connection: the head (status line and headers, as
// a flat list) and the body framing (Content-Length, chunked or close-delimited). Body bytes
// are handed on as views of the bytes read (no copy); chunked bodies are decoded. The app is a
// tenant's code: anything malformed fails the response (a 502, or a cut response), never the
// router, and a connection whose framing is in doubt is not reused.
import { owsTrimmed, type HeaderList } from './headers.ts';

/** Limits on a response head (Node's own default header limit is 16 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 200;
const MAX_CHUNK_LINE = 4096;

export class ResponseError extends Error {
  readonly code = 'UPSTREAM_BAD_RESPONSE';
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Headers in arrival order, names as sent. */
  headers: HeaderList;
  /** Keep-Alive: timeout=N from the app, in ms, or null. */
  keepAliveMs: number | null;
}

export interface ResponseSink {
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  end(): void;
}

/** What the parser reads next. */
const State = { Head: 0, Length: 1, ChunkSize: 2, ChunkData: 3, ChunkDataEnd: 4, Trailer: 5, UntilClose: 6, Done: 7 } as const;
type State = (typeof State)[keyof typeof State];

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** "HTTP/1.x NNN" and, after a space, any reason phrase (CR and LF excluded: lines end at CRLF). */
const STATUS_LINE = /^HTTP\/1\.[01] [1-9]\d\d(?: [^\r\n]*)?$/;

/** The status code of the head's first line (ending at `eol`), or 0 if the line is malformed. */
function statusOf(text: string, eol: number): number {
  if (eol < 12 || (eol > 12 && text.charCodeAt(12) !== 32)) return 0;
  if (!STATUS_LINE.test(eol === text.length ? text : text.slice(0, eol))) return 0;
  return (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
}

/** A Content-Length value: 1 to 15 decimal digits, else -1. */
function decimal(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The timeout=N (seconds) of a Keep-Alive header, in ms, or null. */
function keepAliveTimeoutMs(value: string): number | null {
  if (value.length <= 14 && value.startsWith('timeout=')) { // the usual "timeout=5"
    const seconds = decimal(value.slice(8));
    if (seconds >= 0) return seconds * 1000;
  }
  const m = /(?:^|[,;\s])timeout\s*=\s*(\d{1,6})/i.exec(value);
  return m === null ? null : Number(m[1]) * 1000;
}

/**
 * One response at a time: `expect(method)` before each request, then `execute(chunk)` with the
 * bytes read and `finish()` at the end of the stream. Throws ResponseError on malformed input.
 */
export class ResponseParser {
  private state: State = State.Done;
  private noBody = false;
  private pending: Buffer | null = null;
  private remaining = 0;
  private reusable = false;
  private readonly sink: ResponseSink;

  constructor(sink: ResponseSink) {
    this.sink = sink;
  }

  /** Starts reading the response to a request with this method. */
  expect(method: string): void {
    this.state = State.Head;
    this.noBody = method === 'HEAD';
    this.pending = null;
  }

  /** The current response is complete (and no bytes beyond it arrived). */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Whether, once done, the connection can be reused. */
  get keepAlive(): boolean {
    return this.reusable;
  }

  /** Reads bytes from the app. Returns the number of bytes beyond the end of the response (0 normally). */
  execute(chunk: Buffer): number {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case State.Head: at = this.readHead(chunk, at); break;
        case State.Length: {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          this.sink.data(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.ChunkSize: at = this.readChunkSize(chunk, at); break;
        case State.ChunkData: {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          this.sink.data(chunk.subarray(at, at + n));
          at += n;
          if (this.remaining === 0) { this.state = State.ChunkDataEnd; this.remaining = 2; }
          break;
        }
        case State.ChunkDataEnd: at = this.readChunkEnd(chunk, at); break;
        case State.Trailer: at = this.readTrailer(chunk, at); break;
        case State.UntilClose:
          this.sink.data(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
        case State.Done:
          this.reusable = false; // bytes nobody asked for: the connection's framing is lost
          return chunk.length - at;
      }
    }
    return 0;
  }

  /** The app closed its side. Completes a close-delimited body; anything else is cut short. */
  finish(): void {
    if (this.state === State.UntilClose) {
      this.complete();
      return;
    }
    if (this.state !== State.Done) throw new ResponseError('the app closed the connection before the response was complete');
  }

  private complete(): void {
    this.state = State.Done;
    this.sink.end();
  }

  private readHead(chunk: Buffer, at: number): number {
    let buf = chunk;
    let from = at;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk.subarray(at)]);
      from = 0;
    }
    // The blank line may straddle the previous read: search from a little before the new bytes.
    const end = buf.indexOf(CRLFCRLF, Math.max(from, this.pending === null ? from : this.pending.length - 3));
    if (end === -1) {
      if (buf.length - from > MAX_HEAD_BYTES) throw new ResponseError(`response head over ${MAX_HEAD_BYTES} bytes`);
      // Kept for the next read; copied when it is the caller's buffer (which it may reuse).
      this.pending = buf === chunk ? Buffer.from(chunk.subarray(from)) : buf.subarray(from);
      return chunk.length;
    }
    if (end - from > MAX_HEAD_BYTES) throw new ResponseError(`response head over ${MAX_HEAD_BYTES} bytes`);
    const consumedOfChunk = this.pending === null ? end + 4 : end + 4 - this.pending.length + at;
    this.pending = null;
    this.parseHead(buf.toString('latin1', from, end));
    return consumedOfChunk;
  }

  private parseHead(text: string): void {
    let eol = text.indexOf('\r\n');
    if (eol === -1) eol = text.length;
    const code = statusOf(text, eol);
    if (code === 0) throw new ResponseError('malformed status line');
    const minor = text.charCodeAt(7) === 49; // HTTP/1.1
    // Names and values are checked by Node when they are written to the client (writeHead
    // throws, and the exchange becomes a 502): only the framing headers are examined here.
    const headers: HeaderList = [];
    let length: number | null = null;
    let chunked = false;
    let transferEncoding = false;
    let close = !minor;
    let keepAliveMs: number | null = null;
    let at = eol + 2;
    while (at < text.length) {
      let next = text.indexOf('\r\n', at);
      if (next === -1) next = text.length;
      const colon = text.indexOf(':', at);
      if (colon <= at || colon > next) throw new ResponseError('malformed response header line');
      if (headers.length >= MAX_HEADERS * 2) throw new ResponseError(`more than ${MAX_HEADERS} response headers`);
      const name = text.slice(at, colon);
      const value = owsTrimmed(text, colon + 1, next);
      at = next + 2;
      headers.push(name, value);
      const n = name.length;
      if (n !== 10 && n !== 14 && n !== 17) continue;
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        const len = decimal(value);
        if (len < 0) throw new ResponseError('invalid Content-Length');
        if (length !== null && length !== len) throw new ResponseError('conflicting Content-Length headers');
        length = len;
      } else if (lower === 'transfer-encoding') {
        transferEncoding = true;
        // The last coding decides: chunked, or the body runs until the connection closes.
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      } else if (lower === 'connection') {
        const v = value.toLowerCase();
        // The usual values without a regular expression; lists ("close, te") with one.
        if (v === 'keep-alive') {
          if (!minor) close = false; // an HTTP/1.0 app keeps the connection only when it says so
        } else if (v === 'close' || /(?:^|,)\s*close\s*(?:,|$)/.test(v)) close = true;
        else if (!minor && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(v)) close = false;
      } else if (lower === 'keep-alive') {
        keepAliveMs = keepAliveTimeoutMs(value);
      }
    }
    const reasonAt = eol > 12 ? 13 : eol; // "HTTP/1.1 200 reason"
    if (code < 200) {
      if (code === 101) throw new ResponseError('unexpected 101 Switching Protocols');
      this.state = State.Head; // 1xx: informational, the real response follows
      return;
    }
    this.reusable = !close;
    this.sink.head({ status: code, reason: text.slice(reasonAt, eol), headers, keepAliveMs });
    if (this.noBody || code === 204 || code === 304) return this.complete();
    if (transferEncoding) {
      // A message with both is a smuggling attempt or a broken app: chunked wins, never reused.
      if (length !== null) this.reusable = false;
      if (chunked) {
        this.state = State.ChunkSize;
        this.remaining = 0;
        this.chunkLine = '';
      } else {
        this.reusable = false;
        this.state = State.UntilClose;
      }
      return;
    }
    if (length !== null) {
      if (length === 0) return this.complete();
      this.state = State.Length;
      this.remaining = length;
      return;
    }
    this.reusable = false;
    this.state = State.UntilClose;
  }

  private chunkLine = '';

  /** "<hex size>[;extensions]\r\n" */
  private readChunkSize(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(10, at);
    const end = lf === -1 ? chunk.length : lf + 1;
    this.chunkLine += chunk.toString('latin1', at, end);
    if (this.chunkLine.length > MAX_CHUNK_LINE) throw new ResponseError('chunk size line too long');
    if (lf === -1) return end;
    const line = this.chunkLine;
    this.chunkLine = '';
    const m = /^([0-9A-Fa-f]{1,12})(?:[ \t]*;[^\r\n]*)?\r\n$/.exec(line);
    if (m === null) throw new ResponseError('malformed chunk size');
    const size = parseInt(m[1], 16);
    if (size === 0) {
      this.state = State.Trailer;
      return end;
    }
    this.state = State.ChunkData;
    this.remaining = size;
    return end;
  }

  /** The CRLF after a chunk's data. */
  private readChunkEnd(chunk: Buffer, at: number): number {
    while (this.remaining > 0 && at < chunk.length) {
      const want = this.remaining === 2 ? 13 : 10;
      if (chunk[at] !== want) throw new ResponseError('malformed chunk end');
      this.remaining--;
      at++;
    }
    if (this.remaining === 0) this.state = State.ChunkSize;
    return at;
  }

  /** Trailer fields (dropped) up to the empty line. */
  private readTrailer(chunk: Buffer, at: number): number {
    while (at < chunk.length) {
      const lf = chunk.indexOf(10, at);
      const end = lf === -1 ? chunk.length : lf + 1;
      this.chunkLine += chunk.toString('latin1', at, end);
      if (this.chunkLine.length > MAX_CHUNK_LINE) throw new ResponseError('trailer line too long');
      at = end;
      if (lf === -1) return at;
      const line = this.chunkLine;
      this.chunkLine = '';
      if (line === '\r\n') {
        this.complete();
        return at;
      }
      if (!line.endsWith('\r\n') || line.indexOf(':') <= 0) throw new ResponseError('malformed trailer');
    }
    return at;
  }
}
