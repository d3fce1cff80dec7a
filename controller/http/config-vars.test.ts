// Config changes are read-modify-write under the app's lock: concurrent ones all land, each
// as its own release; the environment of a release is the build's defaults under the app's vars.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import request from 'supertest';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler, type MemoryScheduler } from '../scheduler/memory-scheduler.ts';
import type { RegistryClient } from '../services/registry.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertConfig } from '../store/configs.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';

const registry: RegistryClient = { retag: async () => undefined, tags: async () => [], copyRepository: async () => [], deleteRepository: async () => undefined };

describe('concurrent config changes', () => {
  const config = testConfig();
  let ctl: ControllerHandle;
  let scheduler: MemoryScheduler;
  let auth: string;
  const api = () => request(ctl.server);

  before(async () => {
    scheduler = createMemoryScheduler();
    ctl = await startController({ config, docker: new Dockerode(), scheduler, registry, log: () => undefined });
    auth = `Bearer ${readAdminToken(config)}`;
    await api().post('/apps').set('authorization', auth).send({ name: 'many' }).expect(201);
    const app = findApp(ctl.db, 'many')!;
    const build = insertBuild(ctl.db, app.id, null, 'abc');
    finishBuild(ctl.db, build.id, {
      status: 'succeeded', image: `${config.registry}/many:build-${build.id}`, processTypes: { web: 'node s.js' },
      configVars: { WEB_CONCURRENCY: '2', K03: 'default' },
    });
    setReleaseStatus(ctl.db, insertRelease(ctl.db, { appId: app.id, buildId: build.id, configId: insertConfig(ctl.db, app.id, {}).id, description: 'Deploy abc', userId: null }).id, 'succeeded');
  });
  after(async () => { await ctl.close(); removeDataDir(config); });

  test('20 concurrent config:set of different keys: all 20 keys kept, 20 releases numbered without gaps', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `K${String(i).padStart(2, '0')}`);
    const results = await Promise.all(keys.map((k) => api().patch('/apps/many/config-vars').set('authorization', auth).send({ [k]: `v-${k}` })));
    for (const res of results) assert.equal(res.status, 200, JSON.stringify(res.body));

    const got = await api().get('/apps/many/config-vars').set('authorization', auth).expect(200);
    assert.deepEqual(got.body, Object.fromEntries(keys.map((k) => [k, `v-${k}`])));

    const rels = await api().get('/apps/many/releases').set('authorization', auth).expect(200);
    const versions = rels.body.map((r: { version: number }) => r.version);
    assert.deepEqual(versions, Array.from({ length: 21 }, (_, i) => i + 1));
    const described = rels.body.slice(1).map((r: { description: string }) => /^Set (K\d\d) config var$/.exec(r.description)?.[1]);
    assert.deepEqual([...described].sort(), keys);
    assert.ok(rels.body.every((r: { status: string }) => r.status === 'succeeded'));

    // The last release runs with every key, over the buildpack's defaults; those never become config vars.
    const last = scheduler.started.at(-1)!;
    assert.equal(last.release, 21);
    assert.deepEqual(last.env, { WEB_CONCURRENCY: '2', ...Object.fromEntries(keys.map((k) => [k, `v-${k}`])) });
  });
});
