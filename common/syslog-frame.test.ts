import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MSG_BYTES, octetCounted, parseOctetCounted, parseSyslogMessage, syslogMessage } from './syslog-frame.ts';

const entry = { time: '2026-11-26T14:00:00.123Z', source: 'app', dyno: 'web.1', line: 'listening on 5000' };

test('a log line becomes an RFC 5424 message as Logplex sends it: PRI, version, time, token, source, dyno', () => {
  assert.equal(syslogMessage(entry, 'd.abc'), '<190>1 2026-11-26T14:00:00.123Z d.abc app web.1 - - listening on 5000');
  assert.equal(syslogMessage({ ...entry, source: 'paas', dyno: 'router', line: 'at=info method=GET' }, 'd.abc'),
    '<190>1 2026-11-26T14:00:00.123Z d.abc paas router - - at=info method=GET');
});

test('header fields lose spaces and control characters, an empty one is "-", line breaks in MSG become spaces', () => {
  const m = syslogMessage({ ...entry, dyno: 'we b\n.1', source: '', line: 'a\r\nb\nc' }, 'd.x');
  assert.equal(m, '<190>1 2026-11-26T14:00:00.123Z d.x - web.1 - - a b c');
});

test('octet counting counts bytes, not characters, and parses back across chunk boundaries', () => {
  const frames = [octetCounted(syslogMessage({ ...entry, line: 'héllo ✓' }, 'd.t')), octetCounted(syslogMessage(entry, 'd.t'))];
  assert.match(frames[0].toString(), /^(\d+) </);
  assert.equal(Number(/^(\d+) /.exec(frames[0].toString())![1]), Buffer.byteLength(syslogMessage({ ...entry, line: 'héllo ✓' }, 'd.t')));
  const all = Buffer.concat(frames);
  const first = parseOctetCounted(all.subarray(0, 30));
  assert.deepEqual(first.messages, []);
  const second = parseOctetCounted(Buffer.concat([first.rest, all.subarray(30)]));
  assert.equal(second.messages.length, 2);
  assert.equal(second.rest.length, 0);
  assert.deepEqual(parseSyslogMessage(second.messages[0]), { pri: 190, time: entry.time, host: 'd.t', app: 'app', procid: 'web.1', msg: 'héllo ✓' });
});

test('a line longer than the limit is cut on a character boundary', () => {
  const m = syslogMessage({ ...entry, line: '✓'.repeat(MAX_MSG_BYTES) }, 'd.t');
  const msg = parseSyslogMessage(m)!.msg;
  assert.ok(Buffer.byteLength(msg) <= MAX_MSG_BYTES);
  assert.ok(!msg.includes('\uFFFD'));
});
