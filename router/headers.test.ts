import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { addForwardHeaders, appendVia, downstreamHeaders, portOf, requestIdFrom, stripHopByHop, upstreamHeaders } from './headers.ts';

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

test('portOf takes the port from a Host value', () => {
  assert.equal(portOf('app.example.com:8443'), '8443');
  assert.equal(portOf('[::1]:8080'), '8080');
  for (const none of ['app.example.com', '[::1]', 'app:', 'app:80x', '']) assert.equal(portOf(none), null, none);
});

test('upstreamHeaders drops hop-by-hop, framing and router-set headers and adds the forward headers last', () => {
  const headers: IncomingHttpHeaders = {
    host: 'App.example.com', connection: 'keep-alive, X-Secret', 'x-secret': '1', 'keep-alive': '5', te: 'trailers',
    'transfer-encoding': 'chunked', expect: '100-continue', 'proxy-authorization': 'Basic x', 'x-request-start': 't=1',
    'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'http', forwarded: 'for=10.0.0.1', 'x-real-ip': '10.0.0.1',
    via: '1.0 corp', 'content-length': '3', cookie: 'a=1',
  };
  const list = upstreamHeaders(headers, { remoteAddress: '::ffff:192.0.2.7', host: 'App.example.com', requestId: 'rid', startedAt: 17, secure: true });
  assert.deepEqual(list, [
    'host', 'App.example.com', 'cookie', 'a=1',
    'x-forwarded-for', '192.0.2.7', 'x-forwarded-proto', 'https', 'x-forwarded-port', '443',
    'x-forwarded-host', 'App.example.com', 'x-request-id', 'rid', 'x-request-start', 't=17', 'via', '1.0 corp, 1.1 paas',
  ]);
  assert.equal(headers['x-secret'], '1', 'the client request is left as it was');
});

test('downstreamHeaders drops hop-by-hop headers and framing, appends Via and keeps the app\'s request id', () => {
  const app = [
    'Content-Type', 'text/plain', 'Connection', 'X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked',
    'Proxy-Authenticate', 'Basic', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2',
  ];
  assert.deepEqual(downstreamHeaders(app, 'rid'), [
    'Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'x-request-id', 'rid', 'via', '1.1 paas',
  ]);
  assert.deepEqual(downstreamHeaders(['X-Request-Id', 'app-id', 'Via', '1.1 app'], 'rid'), ['X-Request-Id', 'app-id', 'via', '1.1 app, 1.1 paas']);
});

test('forward headers from a client replace its claims, append to Via and take the port from Host', () => {
  const headers: IncomingHttpHeaders = {
    'x-forwarded-for': '10.0.0.1', via: '1.0 corp', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', forwarded: 'for=10.0.0.1', 'x-real-ip': '10.0.0.1',
  };
  addForwardHeaders(headers, { remoteAddress: '::ffff:192.0.2.7', host: 'App.example.com:8443', requestId: 'rid', startedAt: 1700000000123 });
  assert.deepEqual(headers, {
    'x-forwarded-for': '192.0.2.7', via: '1.0 corp, 1.1 paas', 'x-forwarded-proto': 'http',
    'x-forwarded-port': '8443', 'x-forwarded-host': 'App.example.com:8443', 'x-request-id': 'rid',
    'x-request-start': 't=1700000000123',
  });
  assert.equal(appendVia(undefined), '1.1 paas');
});

test('forward headers from a trusted proxy append to X-Forwarded-For and keep its Proto, Port, Host, Forwarded and X-Real-IP', () => {
  const headers: IncomingHttpHeaders = {
    'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-host': 'shop.example.com',
    forwarded: 'for=203.0.113.9;proto=https', 'x-real-ip': '203.0.113.9',
  };
  const info = { remoteAddress: '10.1.2.3', host: 'App.example.com', requestId: 'rid', startedAt: 1, trusted: true };
  assert.deepEqual(upstreamHeaders(headers, info).slice(0, 12), [
    'forwarded', 'for=203.0.113.9;proto=https', 'x-real-ip', '203.0.113.9',
    'x-forwarded-for', '203.0.113.9, 10.1.2.3', 'x-forwarded-proto', 'https', 'x-forwarded-port', '443', 'x-forwarded-host', 'shop.example.com',
  ]);
  addForwardHeaders(headers, info);
  assert.equal(headers['x-forwarded-for'], '203.0.113.9, 10.1.2.3');
  assert.equal(headers['x-real-ip'], '203.0.113.9');
  // Without the proxy's own values, the router's view is used.
  assert.deepEqual(upstreamHeaders({}, info).slice(0, 8), [
    'x-forwarded-for', '10.1.2.3', 'x-forwarded-proto', 'http', 'x-forwarded-port', '80', 'x-forwarded-host', 'App.example.com',
  ]);
});
