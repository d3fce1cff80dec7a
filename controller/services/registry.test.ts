// The registry client against the real registry: copying a repository (what an app rename does).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { loadConfig } from '../../common/config.ts';
import { createRegistryClient, manifestDigest } from './registry.ts';
import { registryAuthHeaders } from '../../common/registry-auth.ts';

const { registry, registryAuth } = loadConfig();
const client = createRegistryClient(registry, registryAuth);
const headers = registryAuthHeaders(registryAuth);
const suffix = randomBytes(4).toString('hex');
const from = `copy-from-${suffix}`;
const to = `copy-to-${suffix}`;
after(async () => {
  for (const repo of [from, to]) await client.deleteRepository(repo).catch(() => undefined);
});

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushBlob(repo: string, body: Buffer): Promise<string> {
  const digest = sha(body);
  const upload = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  const location = new URL(upload.headers.get('location') ?? '', `http://${registry}`);
  location.searchParams.set('digest', digest);
  assert.equal((await fetch(location, { method: 'PUT', body, headers })).status, 201);
  return digest;
}

/** An image with one (random, so unique) layer under `tag`; returns the layer's digest. */
async function pushImage(repo: string, tag: string): Promise<string> {
  const layer = randomBytes(2048);
  const layerDigest = await pushBlob(repo, layer);
  const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  const cfgDigest = await pushBlob(repo, cfg);
  const type = 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = {
    schemaVersion: 2, mediaType: type,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: cfg.length, digest: cfgDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  };
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { ...headers, 'content-type': type } });
  assert.equal(res.status, 201, await res.text());
  return layerDigest;
}

test('copyRepository copies every tag with the same digests and its layers; the copy outlives the original', async () => {
  const layer1 = await pushImage(from, 'build-abc');
  await client.retag(from, 'build-abc', 'v1');
  const layer2 = await pushImage(from, 'v2');

  const copied = await client.copyRepository(from, to);
  assert.deepEqual(copied.sort(), ['build-abc', 'v1', 'v2']);
  assert.deepEqual((await client.tags(to)).sort(), ['build-abc', 'v1', 'v2']);
  for (const tag of copied) assert.equal(await manifestDigest(registry, to, tag, registryAuth), await manifestDigest(registry, from, tag, registryAuth), tag);

  await client.deleteRepository(from);
  assert.deepEqual(await client.tags(from), []);
  for (const layer of [layer1, layer2]) {
    const blob = await fetch(`http://${registry}/v2/${to}/blobs/${layer}`, { headers });
    assert.equal(blob.status, 200, layer);
    assert.equal(sha(Buffer.from(await blob.arrayBuffer())), layer);
  }
  assert.ok(await manifestDigest(registry, to, 'v1', registryAuth));
});

test('copying a repository that does not exist copies nothing', async () => {
  assert.deepEqual(await client.copyRepository(`missing-${suffix}`, `missing-to-${suffix}`), []);
});
