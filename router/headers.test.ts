import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { addForwardHeaders, appendVia, clientWantsClose, requestIdFrom, stripHopByHop } from './headers.ts';

test('requestIdFrom keeps sane client ids and replaces the rest', () => {
  const gen = () => 'generated';
  assert.equal(requestIdFrom('abcdefghij0123456789', gen), 'abcdefghij0123456789');
  assert.equal(requestIdFrom('a+b/c=d_e.f:g-h0123456789', gen), 'a+b/c=d_e.f:g-h0123456789');
  assert.equal(requestIdFrom(['abcdefghij0123456789', 'x'], gen), 'abcdefghij0123456789');
  for (const bad of [undefined, '', 'short', 'has space 0123456789012', '<script>0123456789012', 'x'.repeat(201)]) {
    assert.equal(requestIdFrom(bad, gen), 'generated', String(bad));
  }
  assert.match(requestIdFrom(undefined), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('stripHopByHop removes standard hop-by-hop headers and those named by Connection', () => {
  const headers: IncomingHttpHeaders = {
    connection: 'keep-alive, X-Secret', 'keep-alive': 'timeout=5', 'x-secret': '1', te: 'trailers',
    upgrade: 'h2c', 'proxy-authorization': 'Basic x', 'transfer-encoding': 'chunked', 'x-kept': 'yes',
  };
  stripHopByHop(headers);
  assert.deepEqual(headers, { 'transfer-encoding': 'chunked', 'x-kept': 'yes' });
  const upgrade: IncomingHttpHeaders = { connection: 'Upgrade', upgrade: 'websocket', 'keep-alive': '1' };
  stripHopByHop(upgrade, ['upgrade']);
  assert.deepEqual(upgrade, { upgrade: 'websocket' });
});

test('clientWantsClose follows HTTP/1.0 and 1.1 defaults', () => {
  assert.equal(clientWantsClose('1.1', undefined), false);
  assert.equal(clientWantsClose('1.1', 'Close'), true);
  assert.equal(clientWantsClose('1.0', undefined), true);
  assert.equal(clientWantsClose('1.0', 'Keep-Alive'), false);
});

test('forward headers append to X-Forwarded-For and Via, and take the port from Host', () => {
  const headers: IncomingHttpHeaders = { 'x-forwarded-for': '10.0.0.1', via: '1.0 corp', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil' };
  addForwardHeaders(headers, { remoteAddress: '::ffff:192.0.2.7', host: 'App.example.com:8443', requestId: 'rid', startedAt: 1700000000123 });
  assert.deepEqual(headers, {
    'x-forwarded-for': '10.0.0.1, 192.0.2.7', via: '1.0 corp, 1.1 paas', 'x-forwarded-proto': 'http',
    'x-forwarded-port': '8443', 'x-forwarded-host': 'App.example.com:8443', 'x-request-id': 'rid',
    'x-request-start': 't=1700000000123',
  });
  assert.equal(appendVia(undefined), '1.1 paas');
});
