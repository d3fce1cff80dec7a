import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import dns from 'node:dns';
import { checkUrl, fetchAllowed, isPrivateAddress, resolveAllowed, UrlPolicyError } from './url-policy.ts';

const closed = { allowPrivate: false };
let server: http.Server;
let port = 0;
const hits: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/to-private') { res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }); res.end(); return; }
    res.end('secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
after(() => { server.close(); });

test('addresses that reach the host, its networks or nothing are private; public unicast is not', () => {
  for (const ip of ['127.0.0.1', '127.8.9.10', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::', '::1', 'fe80::1', 'fd00::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', 'not-an-ip']) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(ip), false, ip);
});

test('URLs with private IP literals, localhost, credentials or other schemes are refused before any connection', () => {
  for (const url of ['http://127.0.0.1:7000/x', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/',
    'http://2130706433/', 'http://0x7f.1/', 'http://0/', 'http://localhost:5000/v2/', 'http://registry.localhost/', 'http://10.0.0.1/']) {
    assert.throws(() => checkUrl(url, closed), UrlPolicyError, url);
  }
  assert.throws(() => checkUrl('file:///etc/passwd', closed), /file:\/\/ URLs are not allowed/);
  assert.throws(() => checkUrl('https://u:p@example.com/', closed), /credentials/);
  assert.equal(checkUrl('https://example.com/a.tgz', closed).hostname, 'example.com');
  assert.equal(checkUrl('http://127.0.0.1/', { allowPrivate: true }).hostname, '127.0.0.1');
});

test('a name that resolves to a private address is refused after resolution', async (t) => {
  const name = os.hostname();
  const addrs = await dns.promises.lookup(name, { all: true }).catch(() => []);
  if (addrs.length === 0 || !addrs.every((a) => isPrivateAddress(a.address))) return t.skip(`${name} does not resolve to a private address here`);
  await assert.rejects(resolveAllowed(name, closed), /private or reserved/);
  hits.length = 0;
  // The connect-time check (what a redirect or DNS rebinding meets) refuses it too, unseen by the server.
  await assert.rejects(fetchAllowed(`http://${name}:${port}/x`, { policy: closed }), /private or reserved/);
  assert.deepEqual(hits, []);
  const { response, close } = await fetchAllowed(`http://${name}:${port}/x`, { policy: { allowPrivate: false, allowHosts: [name] } });
  assert.equal(await response.text(), 'secret');
  await close();
});

test('a redirect from an allowed host to a private address is refused and never followed', async () => {
  hits.length = 0;
  const policy = { allowPrivate: false, allowHosts: ['localhost'] };
  await assert.rejects(fetchAllowed(`http://localhost:${port}/to-private`, { policy }), (err: Error) => {
    assert.ok(err instanceof UrlPolicyError);
    assert.doesNotMatch(err.message, /secret|ECONNREFUSED/);
    return true;
  });
  assert.deepEqual(hits, ['/to-private']);
});

test('network failures do not say what answered', async () => {
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const deadPort = (dead.address() as AddressInfo).port;
  dead.close();
  await assert.rejects(fetchAllowed(`http://127.0.0.1:${deadPort}/`, { policy: { allowPrivate: true } }), (err: Error) => {
    assert.equal(err.message, `Could not reach http://127.0.0.1:${deadPort}/.`);
    return true;
  });
});
