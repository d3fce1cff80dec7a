import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppRoute, Backend, RouteTable } from '../common/routes.ts';
import { buildLookup, createBalancer, EJECT_MS, normalizeHost, parseRouteTable } from './route-table.ts';

const backend = (dyno: string, port: number): Backend => ({ dyno, host: '127.0.0.1', port, release: 3 });
const route = (app: string, hosts: string[], backends: Backend[] = [], maintenance = false): AppRoute =>
  ({ app, hosts, backends, maintenance });

test('normalizeHost lowercases and strips port and trailing dot', () => {
  assert.equal(normalizeHost('Hello.LocalHost'), 'hello.localhost');
  assert.equal(normalizeHost('hello.localhost:8080'), 'hello.localhost');
  assert.equal(normalizeHost('hello.localhost.'), 'hello.localhost');
  assert.equal(normalizeHost('hello.localhost.:80'), 'hello.localhost');
  assert.equal(normalizeHost('hello.localhost:'), 'hello.localhost');
  assert.equal(normalizeHost('127.0.0.1:3000'), '127.0.0.1');
  assert.equal(normalizeHost('[::1]:8080'), '[::1]');
});

test('normalizeHost rejects missing and malformed hosts', () => {
  for (const bad of [undefined, '', ' ', '.', 'a..b', 'a b', 'a/b', 'host:port', 'host:123456', '[::1', '[::1]x', 'a@b', 'x'.repeat(254)]) {
    assert.equal(normalizeHost(bad), null, String(bad));
  }
});

test('lookup finds an app by any of its hosts, in any case and with a port', () => {
  const hello = route('hello', ['hello.localhost', 'www.example.com']);
  const other = route('other', ['other.localhost']);
  const lookup = buildLookup({ version: 1, apps: [hello, other] });
  assert.equal(lookup.find('hello.localhost'), hello);
  assert.equal(lookup.find('WWW.Example.com:443'), hello);
  assert.equal(lookup.find('other.localhost.'), other);
  assert.equal(lookup.find('nope.localhost'), null);
  assert.equal(lookup.find('bad host'), null);
  assert.equal(lookup.table.version, 1);
});

test('lookup normalizes hosts from the table and keeps the first app claiming a host', () => {
  const a = route('a', ['Shared.Example.com.']);
  const b = route('b', ['shared.example.com', 'b.example.com']);
  const lookup = buildLookup({ version: 2, apps: [a, b] });
  assert.equal(lookup.find('shared.example.com'), a);
  assert.equal(lookup.find('b.example.com'), b);
});

test('balancer goes round-robin per app', () => {
  const balancer = createBalancer();
  const one = route('one', ['one.localhost'], [backend('web.1', 5001), backend('web.2', 5002), backend('web.3', 5003)]);
  const two = route('two', ['two.localhost'], [backend('web.1', 6001), backend('web.2', 6002)]);
  const picks = [one, one, two, one, two, one].map((r) => balancer.pick(r)?.port);
  assert.deepEqual(picks, [5001, 5002, 6001, 5003, 6002, 5001]);
  assert.equal(balancer.pick(route('empty', ['e.localhost'])), null);
});

test('balancer keeps going when the backend list changes', () => {
  const balancer = createBalancer();
  const before = route('app', ['a'], [backend('web.1', 1), backend('web.2', 2), backend('web.3', 3)]);
  assert.equal(balancer.pick(before)?.port, 1);
  assert.equal(balancer.pick(before)?.port, 2);
  assert.equal(balancer.pick(before)?.port, 3);
  const after = route('app', ['a'], [backend('web.1', 1)]);
  assert.equal(balancer.pick(after)?.port, 1);
  assert.equal(balancer.pick(after)?.port, 1);
});

test('pickOther never returns the failed backend', () => {
  const balancer = createBalancer();
  const r = route('app', ['a'], [backend('web.1', 1), backend('web.2', 2), backend('web.3', 3)]);
  for (let i = 0; i < 6; i++) {
    const failed = balancer.pick(r)!;
    const other = balancer.pickOther(r, failed);
    assert.ok(other);
    assert.notEqual(other.port, failed.port);
  }
  const single = route('single', ['s'], [backend('web.1', 9)]);
  assert.equal(balancer.pickOther(single, single.backends[0]), null);
});

test('retain forgets apps no longer routed', () => {
  const balancer = createBalancer();
  const r = route('app', ['a'], [backend('web.1', 1), backend('web.2', 2)]);
  balancer.pick(r);
  balancer.retain(['other']);
  assert.equal(balancer.pick(r)?.port, 1);
});

test('parseRouteTable accepts a valid table', () => {
  const table: RouteTable = { version: 7, apps: [route('hello', ['hello.localhost'], [backend('web.1', 5000)], true)] };
  assert.deepEqual(parseRouteTable(JSON.stringify(table)), table);
});

test('parseRouteTable rejects malformed tables', () => {
  const ok = { app: 'x', hosts: ['x.localhost'], backends: [], maintenance: false };
  const bad: unknown[] = [
    null, [], { apps: [] }, { version: 'one', apps: [] }, { version: 1 },
    { version: 1, apps: [{ ...ok, app: '' }] },
    { version: 1, apps: [{ ...ok, hosts: 'x.localhost' }] },
    { version: 1, apps: [{ ...ok, backends: [{ dyno: 'web.1', host: '127.0.0.1', port: 0, release: 1 }] }] },
    { version: 1, apps: [{ ...ok, backends: [{ dyno: 'web.1', host: '127.0.0.1', port: '80', release: 1 }] }] },
    { version: 1, apps: [{ ...ok, maintenance: undefined }] },
  ];
  for (const table of bad) assert.throws(() => parseRouteTable(JSON.stringify(table)), Error, JSON.stringify(table));
  assert.throws(() => parseRouteTable('{not json'), SyntaxError);
});

test('a backend that refused a connection is left out for EJECT_MS, unless every backend is', () => {
  let now = 1000;
  const balancer = createBalancer(() => now);
  const r = route('app', ['a'], [backend('web.1', 1), backend('web.2', 2)]);
  balancer.eject(r.backends[0]);
  assert.deepEqual([0, 1, 2, 3].map(() => balancer.pick(r)?.port), [2, 2, 2, 2]);
  assert.equal(balancer.pickOther(r, r.backends[1])?.port, 1, 'the only other backend, ejected or not');
  balancer.eject(r.backends[1]);
  assert.ok([1, 2].includes(balancer.pick(r)!.port), 'all ejected: all are used');
  now += EJECT_MS + 1;
  assert.deepEqual(new Set([0, 1, 2, 3].map(() => balancer.pick(r)?.port)), new Set([1, 2]));
});

test('lookup finds routes by app name and knows every backend address', () => {
  const one = route('one', ['one.localhost'], [backend('web.1', 5001), backend('web.2', 5002)]);
  const lookup = buildLookup({ version: 3, apps: [one] });
  assert.equal(lookup.app('one'), one);
  assert.equal(lookup.app('two'), null);
  assert.deepEqual([...lookup.backendKeys].sort(), ['127.0.0.1:5001', '127.0.0.1:5002']);
});
