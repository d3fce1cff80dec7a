// Minimal client for the private registry's HTTP API (distribution v2): retag and delete.

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
  /** Deletes every manifest of the repository (layers are reclaimed by the registry's GC). */
  deleteRepository(repo: string): Promise<void>;
}

export function createRegistryClient(registry: string): RegistryClient {
  const base = `http://${registry}/v2`;

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

  return {
    async retag(repo, fromRef, toTag) {
      const m = await getManifest(repo, fromRef);
      const res = await fetch(`${base}/${repo}/manifests/${toTag}`, {
        method: 'PUT', headers: { 'content-type': m.type }, body: m.body,
      });
      if (!res.ok) throw new Error(`registry: tag ${repo}:${toTag}: HTTP ${res.status} ${await res.text()}`);
    },
    tags,
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
export async function manifestDigest(registry: string, repo: string, ref: string): Promise<string | null> {
  const res = await fetch(manifestsUrl(registry, repo, ref), { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`registry: manifest ${repo}:${ref}: HTTP ${res.status}`);
  return res.headers.get('docker-content-digest');
}

/** Deletes a manifest by digest: every tag pointing at it goes too (layers: the registry's GC). */
export async function deleteManifest(registry: string, repo: string, digest: string): Promise<void> {
  const res = await fetch(manifestsUrl(registry, repo, digest), { method: 'DELETE' });
  if (!res.ok && res.status !== 404) throw new Error(`registry: delete ${repo}@${digest}: HTTP ${res.status}`);
}
