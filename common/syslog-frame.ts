// The frames log drains carry, as Heroku's Logplex sends them: RFC 5424 syslog messages with
// RFC 6587 octet counting (`<len> <msg>`), over TCP/TLS or as the body of an HTTPS POST
// (`application/logplex-1`). One frame per log line:
//   <190>1 2026-11-26T14:00:00.123Z d.2f0c… app web.1 - - listening on 5000
// HOSTNAME is the drain's token, APP-NAME the line's source (`app` for dyno output and API
// events, `paas` for the platform's own lines: Heroku's `heroku`), PROCID the dyno or component
// (web.1, router, api, logplex). PRI 190 = facility local7, severity info (as Logplex).
import type { LogEntry } from './app-log.ts';

/** Bytes of one message's MSG part at most (longer lines are cut; Logplex cuts at 10 KB). */
export const MAX_MSG_BYTES = 10_000;

/** A header field of RFC 5424: printable US-ASCII without spaces, at most `max` characters, `-` if empty. */
function field(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  // Back off to a character boundary (never a lone continuation byte).
  let end = maxBytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** One RFC 5424 message (without the octet count). */
export function syslogMessage(e: LogEntry, token: string, pri = 190): string {
  const time = Number.isNaN(Date.parse(e.time)) ? new Date().toISOString() : e.time;
  const msg = cutUtf8(e.line.replace(/\r?\n/g, ' '), MAX_MSG_BYTES);
  return `<${pri}>1 ${time} ${field(token, 255)} ${field(e.source, 48)} ${field(e.dyno, 128)} - - ${msg}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

/** Splits octet-counted frames; `rest` is an incomplete tail to prepend to the next chunk. */
export function parseOctetCounted(data: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let off = 0;
  for (;;) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0 || sp - off > 10) break;
    const len = Number(data.subarray(off, sp).toString('ascii'));
    if (!Number.isInteger(len) || len < 0) throw new Error(`not an octet count at byte ${off}`);
    if (sp + 1 + len > data.length) break;
    messages.push(data.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    off = sp + 1 + len;
  }
  return { messages, rest: data.subarray(off) };
}

/** The fields of an RFC 5424 message this module makes (for receivers and tests). */
export function parseSyslogMessage(m: string): { pri: number; time: string; host: string; app: string; procid: string; msg: string } | null {
  const r = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) \S+ \S+ ?(.*)$/s.exec(m);
  return r ? { pri: Number(r[1]), time: r[2], host: r[3], app: r[4], procid: r[5], msg: r[6] } : null;
}
