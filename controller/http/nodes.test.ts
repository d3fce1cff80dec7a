// Cluster nodes through the API (memory scheduler: one pretend node): admins list and drain
// them; anyone else gets 403; a bad availability is a 422 naming the field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiPlatform, type ApiPlatform } from './api.test-support.ts';

let p: ApiPlatform;
before(async () => { p = await startApiPlatform(); });
after(async () => { await p.close(); });

test('admins list nodes and change their availability; other users may not', async () => {
  const list = await p.api().get('/nodes').set('authorization', p.auth).expect(200);
  assert.deepEqual(list.body.map((n: { name: string; availability: string; self: boolean }) => [n.name, n.availability, n.self]), [['memory', 'active', true]]);
  const drained = await p.api().patch('/nodes/memory').set('authorization', p.auth).send({ availability: 'drain' }).expect(200);
  assert.equal(drained.body.availability, 'drain');
  await p.api().patch('/nodes/memory').set('authorization', p.auth).send({ availability: 'active' }).expect(200);
  await p.api().patch('/nodes/nowhere').set('authorization', p.auth).send({ availability: 'drain' }).expect(404);
  const bad = await p.api().patch('/nodes/memory').set('authorization', p.auth).send({ availability: 'gone' }).expect(422);
  assert.match(bad.body.message, /availability/);

  const user = await p.api().post('/users').set('authorization', p.auth).send({ email: 'ops@example.com' }).expect(201);
  const token = `Bearer ${user.body.access_token.token}`;
  await p.api().get('/nodes').set('authorization', token).expect(403);
  await p.api().patch('/nodes/memory').set('authorization', token).send({ availability: 'drain' }).expect(403);
});
