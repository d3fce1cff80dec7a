import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainPolicyOf, hostnameProblem, normalizeHostname } from './hostname.ts';

test('accepts DNS names, refuses bad ones and the platform domain', () => {
  for (const ok of ['www.example.com', 'a.b', 'x-1.example.org']) assert.equal(hostnameProblem(ok, 'paas.test'), null, ok);
  for (const bad of ['example', 'WWW.example.com', '-a.example.com', 'a..b', 'a_b.example.com', 'exa mple.com', `${'a'.repeat(64)}.com`]) {
    assert.notEqual(hostnameProblem(bad, 'paas.test'), null, bad);
  }
  assert.match(hostnameProblem('app.paas.test', 'paas.test') ?? '', /reserved/);
  assert.match(hostnameProblem(5, 'paas.test') ?? '', /string/);
});

test('IP literals, platform names and names outside the operator\'s suffixes are refused', () => {
  const policy = domainPolicyOf({ domain: 'apps.paas.test', apiUrl: 'https://api.paas.test', registry: 'registry.paas.test:5000', customDomainSuffixes: ['customers.example', 'corp.example'] });
  for (const ip of ['127.0.0.1', '10.0.0.1', '0x7f.1', 'a.2130706433']) assert.match(hostnameProblem(ip, policy) ?? '', /IP address/, ip);
  assert.match(hostnameProblem('api.paas.test', policy) ?? '', /name of the platform/);
  assert.match(hostnameProblem('x.registry.paas.test', policy) ?? '', /name of the platform/);
  assert.match(hostnameProblem('localhost', policy) ?? '', /valid hostname|name of the platform/);
  assert.match(hostnameProblem('www.elsewhere.example', policy) ?? '', /must be under customers\.example, corp\.example/);
  assert.equal(hostnameProblem('shop.customers.example', policy), null);
  assert.equal(hostnameProblem('corp.example', policy), null);
  assert.equal(normalizeHostname(' WWW.Example.COM. '), 'www.example.com');
});
