// Image retention against the real registry: tags of old releases go, shared manifests stay.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../common/config.ts';
import { insertApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { openDb } from '../store/db.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { insertConfig } from '../store/configs.ts';
import { createUser } from '../store/users.ts';
import { keptTags, pruneReleaseImages } from './image-retention.ts';
import { createRegistryClient } from './registry.ts';
import { registryAuthHeaders } from '../../common/registry-auth.ts';

const { registry, registryAuth } = loadConfig();
const headers = registryAuthHeaders(registryAuth);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-retention-'));
const db = openDb(path.join(dir, 'paas.db'));
const app = insertApp(db, `retention-${randomBytes(4).toString('hex')}`, createUser(db, 'r@example.test', true).id);
const client = createRegistryClient(registry, registryAuth);
after(async () => {
  await client.deleteRepository(app.name).catch(() => undefined);
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A distinct (layerless) image manifest in the registry under `tag`. */
async function pushManifest(tag: string): Promise<void> {
  const base = `http://${registry}/v2/${app.name}`;
  const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { tag } } }));
  const digest = `sha256:${createHash('sha256').update(cfg).digest('hex')}`;
  const upload = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
  const location = new URL(upload.headers.get('location') ?? '', `http://${registry}`);
  location.searchParams.set('digest', digest);
  assert.equal((await fetch(location, { method: 'PUT', body: cfg, headers })).status, 201);
  const type = 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = { schemaVersion: 2, mediaType: type, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: cfg.length, digest }, layers: [] };
  const res = await fetch(`${base}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { ...headers, 'content-type': type } });
  assert.equal(res.status, 201, await res.text());
}

function deploy(buildId: string): void {
  const r = insertRelease(db, { appId: app.id, buildId, configId: insertConfig(db, app.id, {}).id, description: 'Deploy', userId: null });
  setReleaseStatus(db, r.id, 'succeeded');
}

test('keeps the newest releases (and what they share), pending builds and foreign tags; deletes the rest', async () => {
  const builds: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const b = insertBuild(db, app.id, null, `c${i}`);
    finishBuild(db, b.id, { status: 'succeeded', image: `${registry}/${app.name}:build-${b.id}` });
    await pushManifest(`build-${b.id}`);
    await client.retag(app.name, `build-${b.id}`, `v${i}`);
    deploy(b.id);
    builds.push(b.id);
  }
  // v6 is a rollback to v2: the same image.
  await client.retag(app.name, `build-${builds[1]}`, 'v6');
  deploy(builds[1]);
  await pushManifest('build-failed');
  await pushManifest('build-running');
  await pushManifest('latest');

  assert.deepEqual([...keptTags(db, app.id, 3, ['running'])].sort(),
    [`build-${builds[1]}`, `build-${builds[3]}`, `build-${builds[4]}`, 'build-running', 'v4', 'v5', 'v6'].sort());
  const deleted = await pruneReleaseImages({ db, registry, registryAuth, app, keep: 3, pending: ['running'] });
  assert.deepEqual(deleted.sort(), [`build-${builds[0]}`, `build-${builds[2]}`, 'build-failed', 'v1', 'v3'].sort());
  assert.deepEqual((await client.tags(app.name)).sort(),
    [`build-${builds[1]}`, `build-${builds[3]}`, `build-${builds[4]}`, 'build-running', 'latest', 'v2', 'v4', 'v5', 'v6'].sort());
  assert.deepEqual(await pruneReleaseImages({ db, registry, registryAuth, app, keep: 3, pending: ['running'] }), []);
});
