// The buildpack list, build cache and build queue through the API (memory scheduler, no builder).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { buildCacheDir } from '../../common/build-cache.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { suitePlatform } from './api.test-support.ts';


describe('buildpacks and build control API', () => {
  const p = suitePlatform({ app: 'bpapp' });
  const api = () => p.api();

  test('PUT replaces the list, in order; GET shows it as Heroku does', async () => {
    assert.deepEqual((await api().get('/apps/bpapp/buildpack-installations').set('authorization', p.auth).expect(200)).body, []);
    const updates = [{ buildpack: 'heroku/nodejs' }, { buildpack: 'https://example.test/bp.git#v2' }, { buildpack: '/srv/buildpacks/x' }, { buildpack: 'static' }];
    const put = await api().put('/apps/bpapp/buildpack-installations').set('authorization', p.auth).send({ updates }).expect(200);
    assert.deepEqual(put.body.map((i: { ordinal: number; buildpack: { url: string } }) => [i.ordinal, i.buildpack.url]),
      [[0, 'heroku/nodejs'], [1, 'https://example.test/bp.git#v2'], [2, '/srv/buildpacks/x'], [3, 'static']]);
    const got = await api().get('/apps/bpapp/buildpack-installations').set('authorization', p.auth).expect(200);
    assert.deepEqual(got.body, put.body);
  });

  test('bad entries are refused with the reason and the list is unchanged', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ updates: [{ buildpack: 'heroku/ruby' }] }, /"heroku\/ruby" is not available/],
      [{ updates: [{ buildpack: 'ssh://git@example.test/x.git' }] }, /not supported/],
      [{ updates: [{ buildpack: 'https://example.test/x.git#--upload-pack=x' }] }, /invalid #ref/],
      [{ updates: [{ buildpack: '/srv/../etc' }] }, /must not contain/],
      [{ updates: [{ buildpack: 'nodejs' }, { buildpack: 'nodejs' }] }, /already in the list/],
      [{ updates: 'nodejs' }, /updates/],
    ];
    for (const [body, message] of bad) {
      const res = await api().put('/apps/bpapp/buildpack-installations').set('authorization', p.auth).send(body as object).expect(422);
      assert.match(res.body.message, message);
    }
    const got = await api().get('/apps/bpapp/buildpack-installations').set('authorization', p.auth).expect(200);
    assert.equal(got.body.length, 4);
    await api().put('/apps/bpapp/buildpack-installations').set('authorization', p.auth).send({ updates: [] }).expect(200);
    assert.deepEqual((await api().get('/apps/bpapp/buildpack-installations').set('authorization', p.auth)).body, []);
  });

  test('DELETE build-cache empties the cache; finished builds cannot be canceled; the queue is empty', async () => {
    const dir = buildCacheDir(p.config.dataDir, 'bpapp');
    fs.mkdirSync(`${dir}/npm`, { recursive: true });
    fs.writeFileSync(`${dir}/npm/x`, 'cached');
    assert.equal((await api().delete('/apps/bpapp/build-cache').set('authorization', p.auth).expect(200)).body.purged, true);
    assert.equal(fs.existsSync(dir), false);
    assert.equal((await api().delete('/apps/bpapp/build-cache').set('authorization', p.auth).expect(200)).body.purged, false);

    const app = findApp(p.ctl.db, 'bpapp')!;
    const build = insertBuild(p.ctl.db, app.id, null, 'abc');
    finishBuild(p.ctl.db, build.id, { status: 'failed', error: 'x' });
    const res = await api().delete(`/apps/bpapp/builds/${build.id}`).set('authorization', p.auth).expect(409);
    assert.match(res.body.message, /Can only cancel pending builds/);
    await api().delete('/apps/bpapp/builds/nope').set('authorization', p.auth).expect(404);
    assert.deepEqual((await api().get('/apps/bpapp/build-queue').set('authorization', p.auth).expect(200)).body, { length: 0, running: 0, builds: [] });
  });
});
