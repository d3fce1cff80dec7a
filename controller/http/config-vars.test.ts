// Config changes are read-modify-write under the app's lock: concurrent ones all land, each
// as its own release; the environment of a release is the build's defaults under the app's vars.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedRelease, startApiPlatform, type ApiPlatform } from './api.test-support.ts';

describe('concurrent config changes', () => {
  let p: ApiPlatform;
  before(async () => {
    p = await startApiPlatform();
    await p.api().post('/apps').set('authorization', p.auth).send({ name: 'many' }).expect(201);
    seedRelease(p.ctl, 'many', { processTypes: { web: 'node s.js' }, configVars: { WEB_CONCURRENCY: '2', K03: 'default' } });
  });
  after(() => p.close());

  test('20 concurrent config:set of different keys: all 20 keys kept, 20 releases numbered without gaps', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `K${String(i).padStart(2, '0')}`);
    const results = await Promise.all(keys.map((k) => p.api().patch('/apps/many/config-vars').set('authorization', p.auth).send({ [k]: `v-${k}` })));
    for (const res of results) assert.equal(res.status, 200, JSON.stringify(res.body));

    const got = await p.api().get('/apps/many/config-vars').set('authorization', p.auth).expect(200);
    assert.deepEqual(got.body, Object.fromEntries(keys.map((k) => [k, `v-${k}`])));

    const rels = await p.api().get('/apps/many/releases').set('authorization', p.auth).expect(200);
    const versions = rels.body.map((r: { version: number }) => r.version);
    assert.deepEqual(versions, Array.from({ length: 21 }, (_, i) => i + 1));
    const described = rels.body.slice(1).map((r: { description: string }) => /^Set (K\d\d) config var$/.exec(r.description)?.[1]);
    assert.deepEqual([...described].sort(), keys);
    assert.ok(rels.body.every((r: { status: string }) => r.status === 'succeeded'));

    // The last release runs with every key, over the buildpack's defaults; those never become config vars.
    const last = p.scheduler.started.at(-1)!;
    assert.equal(last.release, 21);
    assert.deepEqual(last.env, { WEB_CONCURRENCY: '2', ...Object.fromEntries(keys.map((k) => [k, `v-${k}`])) });
  });
});
