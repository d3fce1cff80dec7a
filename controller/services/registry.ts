// Minimal client for the private registry's HTTP API (distribution v2): retag, copy and delete.
// Every request carries the registry's credentials when it has any (config.registryAuth).
import type { RegistryAuth } from '../../common/config.ts';
import { registryAuthHeaders } from '../../common/registry-auth.ts';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export interface RegistryClient {
  /** Points `toTag` at the manifest `fromRef` points at (no layer is copied). */
  retag(repo: string, fromRef: string, toTag: string): Promise<void>;
  tags(repo: string): Promise<string[]>;
  /** Copies every tag of `from` into `to`, with the same manifests (so the same digests); layers
   *  are mounted across repositories, not uploaded again. Returns the tags copied. */
  copyRepository(from: string, to: string): Promise<string[]>;
  /** Deletes every manifest of the repository (layers are reclaimed by the registry's GC). */
  deleteRepository(repo: string): Promise<void>;
}

/** fetch with the registry's credentials added. */
function authedFetch(auth: RegistryAuth | null): (url: string | URL, init?: RequestInit) => Promise<Response> {
  const extra = registryAuthHeaders(auth);
  return (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...extra } });
}

export function createRegistryClient(registry: string, auth: RegistryAuth | null = null): RegistryClient {
  const base = `http://${registry}/v2`;
  const fetch = authedFetch(auth);

  async function getManifest(repo: string, ref: string): Promise<{ body: Buffer; type: string; digest: string }> {
    const res = await fetch(`${base}/${repo}/manifests/${ref}`, { headers: { accept: MANIFEST_TYPES } });
    if (!res.ok) throw new Error(`registry: manifest ${repo}:${ref}: HTTP ${res.status}`);
    return {
      body: Buffer.from(await res.arrayBuffer()),
      type: res.headers.get('content-type') ?? 'application/vnd.docker.distribution.manifest.v2+json',
      digest: res.headers.get('docker-content-digest') ?? '',
    };
  }

  async function tags(repo: string): Promise<string[]> {
    const res = await fetch(`${base}/${repo}/tags/list`);
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`registry: tags of ${repo}: HTTP ${res.status}`);
    const json = (await res.json()) as { tags?: string[] | null };
    return json.tags ?? [];
  }

  /** Makes a blob of `from` available in `to`: a cross-repository mount, or (if the registry
   *  declines the mount and opens an upload instead) a copy of its bytes. */
  async function copyBlob(from: string, to: string, digest: string): Promise<void> {
    const q = new URLSearchParams({ mount: digest, from });
    const mount = await fetch(`${base}/${to}/blobs/uploads/?${q}`, { method: 'POST' });
    await mount.arrayBuffer();
    if (mount.status === 201) return;
    if (mount.status !== 202) throw new Error(`registry: mount ${digest} from ${from} into ${to}: HTTP ${mount.status}`);
    const blob = await fetch(`${base}/${from}/blobs/${digest}`);
    if (!blob.ok) throw new Error(`registry: blob ${from}@${digest}: HTTP ${blob.status}`);
    const upload = new URL(mount.headers.get('location') ?? '', base);
    upload.searchParams.set('digest', digest);
    const put = await fetch(upload, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(await blob.arrayBuffer()) });
    if (put.status !== 201) throw new Error(`registry: upload ${digest} into ${to}: HTTP ${put.status} ${await put.text()}`);
  }

  /** Copies one manifest (by tag or digest) and what it references: an index's manifests, an
   *  image's config and layers. */
  async function copyManifest(from: string, to: string, ref: string, copied: Set<string>): Promise<void> {
    const m = await getManifest(from, ref);
    const doc = JSON.parse(m.body.toString('utf8')) as { manifests?: Array<{ digest: string }>; config?: { digest: string }; layers?: Array<{ digest: string }> };
    for (const child of doc.manifests ?? []) await copyManifest(from, to, child.digest, copied);
    for (const blob of [doc.config, ...(doc.layers ?? [])]) {
      if (!blob?.digest || copied.has(blob.digest)) continue;
      await copyBlob(from, to, blob.digest);
      copied.add(blob.digest);
    }
    const res = await fetch(`${base}/${to}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': m.type }, body: m.body });
    if (!res.ok) throw new Error(`registry: copy ${from}:${ref} to ${to}: HTTP ${res.status} ${await res.text()}`);
  }

  return {
    async retag(repo, fromRef, toTag) {
      const m = await getManifest(repo, fromRef);
      const res = await fetch(`${base}/${repo}/manifests/${toTag}`, {
        method: 'PUT', headers: { 'content-type': m.type }, body: m.body,
      });
      if (!res.ok) throw new Error(`registry: tag ${repo}:${toTag}: HTTP ${res.status} ${await res.text()}`);
    },
    tags,
    async copyRepository(from, to) {
      const copied = new Set<string>();
      const tagList = await tags(from);
      for (const tag of tagList) await copyManifest(from, to, tag, copied);
      return tagList;
    },
    async deleteRepository(repo) {
      const digests = new Set<string>();
      for (const tag of await tags(repo)) {
        const m = await getManifest(repo, tag).catch(() => null);
        if (m?.digest) digests.add(m.digest);
      }
      for (const digest of digests) {
        const res = await fetch(`${base}/${repo}/manifests/${digest}`, { method: 'DELETE' });
        if (!res.ok && res.status !== 404) throw new Error(`registry: delete ${repo}@${digest}: HTTP ${res.status}`);
      }
    },
  };
}

const manifestsUrl = (registry: string, repo: string, ref: string): string => `http://${registry}/v2/${repo}/manifests/${ref}`;

/** The digest of the manifest a tag points at, or null if there is no such tag. */
export async function manifestDigest(registry: string, repo: string, ref: string, auth: RegistryAuth | null = null): Promise<string | null> {
  const res = await authedFetch(auth)(manifestsUrl(registry, repo, ref), { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`registry: manifest ${repo}:${ref}: HTTP ${res.status}`);
  return res.headers.get('docker-content-digest');
}

/** Deletes a manifest by digest: every tag pointing at it goes too (layers: the registry's GC). */
export async function deleteManifest(registry: string, repo: string, digest: string, auth: RegistryAuth | null = null): Promise<void> {
  const res = await authedFetch(auth)(manifestsUrl(registry, repo, digest), { method: 'DELETE' });
  if (!res.ok && res.status !== 404) throw new Error(`registry: delete ${repo}@${digest}: HTTP ${res.status}`);
}
