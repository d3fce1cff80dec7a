import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDrainUrl, redactDrainUrl } from './drain-url.ts';

const strict = { allowPrivate: false };

test('drain URLs: the three kinds pass, others and malformed ones are refused with a reason', () => {
  assert.equal(checkDrainUrl('syslog+tls://logs.example.com:6514', strict).port, '6514');
  assert.equal(checkDrainUrl('syslog+tcp://logs.example.com:514', strict).protocol, 'syslog+tcp:');
  assert.equal(checkDrainUrl('https://u:p@logs.example.com/x?t=1', strict).password, 'p');
  for (const [url, why] of [
    ['http://logs.example.com/', /http:\/\/ drains are not supported/],
    ['syslog://logs.example.com:514', /syslog:\/\/ drains are not supported/],
    ['syslog+tls://logs.example.com', /has no port/],
    ['syslog+tcp://u:p@logs.example.com:514', /cannot carry credentials/],
    ['not a url', /not a URL/],
    [`https://logs.example.com/${'a'.repeat(1100)}`, /at most 1024 characters/],
  ] as const) assert.throws(() => checkDrainUrl(url, strict), why, url);
});

test('loopback, private, link-local (metadata) and localhost drains are refused unless the operator allows them', () => {
  for (const url of ['syslog+tcp://127.0.0.1:514', 'https://169.254.169.254/latest', 'syslog+tls://10.1.2.3:6514', 'https://[::ffff:127.0.0.1]:6379/',
    'syslog+tcp://localhost:6379', 'https://x.localhost/', 'syslog+tcp://[::1]:514', 'https://0x7f.1/']) {
    assert.throws(() => checkDrainUrl(url, strict), (e: Error & { id?: string }) => e.id === 'url_not_allowed', url);
  }
  assert.equal(checkDrainUrl('syslog+tcp://127.0.0.1:514', { allowPrivate: true }).hostname, '127.0.0.1');
  assert.equal(checkDrainUrl('syslog+tcp://localhost:514', { allowPrivate: false, allowHosts: ['localhost'] }).hostname, 'localhost');
});

test('redaction hides passwords and query values, keeps what tells drains apart', () => {
  assert.equal(redactDrainUrl('https://user:s3cret@logs.example.com/bulk?token=abc&x=1'), 'https://user:****@logs.example.com/bulk?token=****&x=****');
  assert.equal(redactDrainUrl('syslog+tls://logs.example.com:6514'), 'syslog+tls://logs.example.com:6514');
  const refusal = (() => { try { checkDrainUrl('https://user:s3cret@169.254.169.254/?k=v', strict); } catch (e) { return (e as Error).message; } return ''; })();
  assert.ok(refusal && !refusal.includes('s3cret') && !refusal.includes('k=v'), refusal);
});
