// Heroku's Range/Next-Range pagination and its request headers, on a small express app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { errorHandler } from './errors.ts';
import { herokuHeaders } from './heroku-headers.ts';
import { applyRange, parseRange, rangePagination } from './range.ts';

const releases = [3, 1, 5, 2, 4].map((version) => ({ version, id: `id-${version}` }));

test('Range headers as the Heroku CLI sends them are parsed', () => {
  assert.deepEqual(parseRange('version ..; max=10, order=desc'), { field: 'version', startExclusive: false, max: 10, order: 'desc' });
  assert.deepEqual(parseRange('version ..; order=desc,max=1'), { field: 'version', startExclusive: false, max: 1, order: 'desc' });
  assert.deepEqual(parseRange('id ..; max=1000;'), { field: 'id', startExclusive: false, max: 1000, order: 'asc' });
  assert.deepEqual(parseRange('name ]b..c'), { field: 'name', start: 'b', startExclusive: true, end: 'c', max: 200, order: 'asc' });
  assert.deepEqual(parseRange('id'), { field: 'id', startExclusive: false, max: 200, order: 'asc' });
  assert.equal(parseRange('id ..; max=5000').max, 1000);
  assert.throws(() => parseRange('id ..; max=0'), /Invalid Range parameter/);
  assert.throws(() => parseRange('id ..; order=sideways'), /Invalid Range parameter/);
  assert.throws(() => parseRange('../etc'), /Invalid Range header/);
});

test('a page is sorted by the field (numbers as numbers), and Next-Range continues after its last item', () => {
  const first = applyRange(releases, parseRange('version ..; max=2, order=desc'));
  assert.deepEqual(first.page.map((r) => r.version), [5, 4]);
  assert.equal(first.nextRange, 'version ]4..; max=2, order=desc');
  const second = applyRange(releases, parseRange(first.nextRange!));
  assert.deepEqual(second.page.map((r) => r.version), [3, 2]);
  const third = applyRange(releases, parseRange(second.nextRange!));
  assert.deepEqual(third.page.map((r) => r.version), [1]);
  assert.equal(third.nextRange, null);
  assert.deepEqual(applyRange(releases, parseRange('version 2..4')).page.map((r) => r.version), [2, 3, 4]);
  const tens = Array.from({ length: 12 }, (_, i) => ({ version: i + 1 }));
  assert.deepEqual(applyRange(tens, parseRange('version ]9..')).page.map((r) => r.version), [10, 11, 12]);
  assert.throws(() => applyRange(releases, parseRange('colour ..')), /Invalid Range field "colour"/);
});

function server() {
  const app = express();
  app.use(herokuHeaders);
  app.use(rangePagination);
  app.get('/releases', (_req, res) => { res.json(releases); });
  app.get('/one', (_req, res) => { res.json({ version: 1 }); });
  app.get('/many', (_req, res) => { res.json(Array.from({ length: 2500 }, (_, i) => ({ id: `id-${String(2500 - i).padStart(4, '0')}`, n: 2500 - i }))); });
  app.use(errorHandler(() => undefined));
  return app;
}

test('list answers: 206 with Next-Range while more follow, 200 at the end, untouched without Range', async () => {
  const page = await request(server()).get('/releases').set('range', 'version ..; max=1, order=desc').expect(206);
  assert.deepEqual(page.body, [{ version: 5, id: 'id-5' }]);
  assert.equal(page.headers['next-range'], 'version ]5..; max=1, order=desc');
  assert.equal(page.headers['content-range'], 'version 5..5');
  const rest = await request(server()).get('/releases').set('range', 'version ]2..; max=10, order=desc').expect(200);
  assert.deepEqual(rest.body.map((r: { version: number }) => r.version), [1]);
  assert.equal(rest.headers['next-range'], undefined);
  const all = await request(server()).get('/releases').expect(200);
  assert.deepEqual(all.body, releases);
  await request(server()).get('/one').set('range', 'version ..; max=1').expect(200, { version: 1 });
  const bad = await request(server()).get('/releases').set('range', 'id ..; order=up').expect(400);
  assert.equal(bad.body.id, 'bad_request');
});

test('without a Range header a list over 1000 items is cut as Heroku does: id ascending, 1000 a page, Next-Range to the rest', async () => {
  const first = await request(server()).get('/many').expect(206);
  assert.equal(first.body.length, 1000);
  assert.equal(first.body[0].id, 'id-0001');
  assert.equal(first.headers['next-range'], 'id ]id-1000..; max=1000, order=asc');
  const seen = [...first.body];
  let next: string | undefined = first.headers['next-range'];
  for (let i = 0; next && i < 5; i++) {
    const page: request.Response = await request(server()).get('/many').set('range', next);
    seen.push(...page.body);
    next = page.headers['next-range'];
  }
  assert.deepEqual(seen.map((r: { n: number }) => r.n), Array.from({ length: 2500 }, (_, i) => i + 1));
});

test('every answer has a Request-Id (then the client\'s ids); Heroku media type versions other than 3 are refused', async () => {
  const sent = '01234567-89ab-4def-8123-456789abcdef';
  const res = await request(server()).get('/one').set('request-id', sent).set('accept', 'application/vnd.heroku+json; version=3.sdk').expect(200);
  const ids = String(res.headers['request-id']).split(',');
  assert.equal(ids.length, 2);
  assert.match(ids[0], /^[0-9a-f-]{36}$/);
  assert.notEqual(ids[0], sent);
  assert.equal(ids[1], sent);
  assert.notEqual((await request(server()).get('/one')).headers['request-id'], ids[0]);
  await request(server()).get('/one').set('accept', 'application/json').expect(200);
  const v2 = await request(server()).get('/one').set('accept', 'application/vnd.heroku+json; version=2').expect(400);
  assert.match(v2.body.message, /Version 2 .*version=3/);
  assert.ok(v2.headers['request-id']);
  const none = await request(server()).get('/one').set('accept', 'application/vnd.heroku+json').expect(400);
  assert.match(none.body.message, /Please specify a version/);
});
