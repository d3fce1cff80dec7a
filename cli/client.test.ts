// The CLI's API client against the API's own pagination (controller/http/range.ts) on a small
// express app: a list longer than a page comes back whole, through Next-Range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { rangePagination } from '../controller/http/range.ts';
import { createClient } from './client.ts';

test('request() follows Next-Range: a list over 1000 items arrives whole', async () => {
  const items = Array.from({ length: 2345 }, (_, i) => ({ id: `id-${String(i).padStart(5, '0')}` }));
  const ranges: string[] = [];
  const app = express();
  app.use((req, _res, next) => { ranges.push(req.get('range') ?? ''); next(); });
  app.use(rangePagination);
  app.get('/things', (_req, res) => { res.json(items); });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const client = createClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
    const got = await client.request<Array<{ id: string }>>('GET', '/things');
    assert.deepEqual(got.map((t) => t.id), items.map((t) => t.id));
    assert.deepEqual(ranges, ['', 'id ]id-00999..; max=1000, order=asc', 'id ]id-01999..; max=1000, order=asc']);
  } finally {
    server.close();
  }
});
