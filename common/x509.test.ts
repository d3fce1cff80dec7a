import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateInfo, hostMatches, keyMatches, makeCertificate } from './x509.ts';

test('hostMatches: exact names, and wildcards over exactly one label', () => {
  assert.equal(hostMatches('a.example.com', 'a.example.com'), true);
  assert.equal(hostMatches('*.example.com', 'a.example.com'), true);
  assert.equal(hostMatches('*.example.com', 'example.com'), false);
  assert.equal(hostMatches('*.example.com', 'a.b.example.com'), false);
  assert.equal(hostMatches('*.example.com', '.example.com'), false);
});

test('made certificates read back: names, issuer, validity, key match', async () => {
  const ca = await makeCertificate({ hosts: ['Test CA'], ca: true });
  const leaf = await makeCertificate({ hosts: ['a.example.com', '*.b.example.com'], issuer: ca, days: 10 });
  const info = certificateInfo(leaf.cert);
  assert.deepEqual(info.hosts, ['a.example.com', '*.b.example.com']);
  assert.equal(info.issuer, 'CN=Test CA');
  assert.equal(info.selfSigned, false);
  assert.ok(info.notAfter.getTime() - info.notBefore.getTime() === 10 * 86_400_000);
  assert.equal(keyMatches(leaf.cert, leaf.key), true);
  assert.equal(keyMatches(leaf.cert, ca.key), false);
  assert.equal(keyMatches(leaf.cert, 'garbage'), false);
  assert.throws(() => certificateInfo('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /not a PEM certificate/);
});
