import assert from 'node:assert/strict';
import test from 'node:test';
import { MAX_HEAD_BYTES, ResponseParser, type ResponseHead } from './response-parser.ts';

interface Parsed { head: ResponseHead | null; body: string; ended: boolean; leftover: number }

/** Feeds `raw` in pieces of `split` bytes (0: whole) and collects what the parser hands on. */
function parse(raw: string | Buffer, { method = 'GET', split = 0, close = false } = {}): Parsed & { parser: ResponseParser } {
  const out: Parsed = { head: null, body: '', ended: false, leftover: 0 };
  const parser = new ResponseParser({
    head: (h) => { out.head = h; },
    data: (c) => { out.body += c.toString('latin1'); },
    end: () => { out.ended = true; },
  });
  parser.expect(method);
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  const step = split || bytes.length;
  for (let i = 0; i < bytes.length; i += step) {
    // A fresh copy each time: what the parser keeps must not depend on the caller's buffer.
    const piece = Buffer.from(bytes.subarray(i, i + step));
    out.leftover += parser.execute(piece);
    piece.fill(0);
  }
  if (close) parser.finish();
  return { ...out, parser };
}

const SIMPLE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nhello';
const CHUNKED = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';

test('a Content-Length response, whole or a byte at a time, gives the same head and body', () => {
  for (const split of [0, 1, 2, 3, 7]) {
    const r = parse(SIMPLE, { split });
    assert.equal(r.head?.status, 200, `split ${split}`);
    assert.equal(r.head?.reason, 'OK');
    assert.deepEqual(r.head?.headers, ['Content-Type', 'text/plain', 'Content-Length', '5', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2']);
    assert.equal(r.body, 'hello');
    assert.ok(r.ended && r.parser.done && r.parser.keepAlive);
  }
});

test('chunked bodies are decoded (extensions and trailers dropped), however the bytes are split', () => {
  for (const split of [0, 1, 2, 5, 11]) {
    const r = parse(CHUNKED, { split });
    assert.equal(r.head?.status, 201);
    assert.equal(r.body, 'hello world', `split ${split}`);
    assert.ok(r.ended && r.parser.keepAlive);
  }
});

test('1xx answers are skipped; HEAD, 204 and 304 have no body; a body up to the close is not reusable', () => {
  const early = parse('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(early.head?.status, 200);
  assert.equal(early.body, 'ok');
  const head = parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', { method: 'HEAD' });
  assert.ok(head.ended && head.parser.keepAlive);
  assert.equal(head.body, '');
  for (const status of [204, 304]) assert.ok(parse(`HTTP/1.1 ${status} X\r\n\r\n`).ended);
  const open = parse('HTTP/1.1 200 OK\r\n\r\nstream until close', { close: true });
  assert.equal(open.body, 'stream until close');
  assert.ok(open.ended && !open.parser.keepAlive);
});

test('HTTP/1.0 and Connection decide reuse; Keep-Alive timeout is read', () => {
  assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').parser.keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').parser.keepAlive, true);
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').parser.keepAlive, false);
  assert.equal(parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').head?.keepAliveMs, 5000);
});

test('hostile framing: smuggling attempts fail or are never reused', () => {
  // Both Transfer-Encoding and Content-Length: chunked wins and the connection is dropped after.
  const both = parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
  assert.equal(both.body, 'ok');
  assert.ok(both.ended && !both.parser.keepAlive);
  // A second response nobody asked for, after the first: reported, and the connection is not reused.
  const extra = parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  assert.ok(extra.leftover > 0 && !extra.parser.keepAlive);
  // Transfer-Encoding other than chunked last: the body runs to the close.
  assert.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz', { close: true }).parser.keepAlive, false);
  const bad = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n',
    'HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n',
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'SMTP ready\r\n\r\n',
    'HTTP/1.1 200 OK\r\n: empty name\r\n\r\n',
  ];
  for (const raw of bad) assert.throws(() => parse(raw), { code: 'UPSTREAM_BAD_RESPONSE' }, JSON.stringify(raw));
});

test('a head over the limit fails without buffering more; a response cut short fails at the close', () => {
  const huge = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`;
  assert.throws(() => parse(huge, { split: 4096 }), { code: 'UPSTREAM_BAD_RESPONSE' });
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', { close: true }), { code: 'UPSTREAM_BAD_RESPONSE' });
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { close: true }), { code: 'UPSTREAM_BAD_RESPONSE' });
});
