// Image retention: the registry keeps the images of an app's newest releases (and of its current
// release, and of builds still running); older `v<N>` and `build-<id>` tags are deleted. A
// manifest is deleted only when no kept tag points at it: a rollback release shares its image
// with the release it came from. Blobs are reclaimed by the registry's own garbage collection.
import type { RegistryAuth } from '../../common/config.ts';
import type { Db } from '../store/db.ts';
import { listReleases, currentRelease } from '../store/releases.ts';
import type { App } from '../store/types.ts';
import { imageRepo } from './dyno-spec.ts';
import { createRegistryClient, deleteManifest, manifestDigest } from './registry.ts';

export const DEFAULT_KEEP_RELEASE_IMAGES = 10;

export interface RetentionOptions {
  db: Db;
  /** host:port of the registry. */
  registry: string;
  registryAuth?: RegistryAuth | null;
  app: App;
  keep: number;
  /** Builds not finished yet: their build-<id> tags stay. */
  pending?: string[];
}

/** Returns the tags that were deleted. */
export async function pruneReleaseImages(opts: RetentionOptions): Promise<string[]> {
  const repo = imageRepo(opts.app.name);
  const tags = await createRegistryClient(opts.registry, opts.registryAuth).tags(repo);
  const keep = keptTags(opts.db, opts.app.id, Math.max(1, opts.keep), opts.pending ?? []);
  const digests = new Map<string, string | null>();
  for (const tag of tags) digests.set(tag, await manifestDigest(opts.registry, repo, tag, opts.registryAuth));
  const keptDigests = new Set([...digests].filter(([tag]) => keep.has(tag) || !isPlatformTag(tag)).map(([, d]) => d));
  const doomed = new Map<string, string[]>();
  for (const [tag, digest] of digests) {
    if (!digest || keptDigests.has(digest)) continue;
    doomed.set(digest, [...(doomed.get(digest) ?? []), tag]);
  }
  const deleted: string[] = [];
  for (const [digest, names] of doomed) {
    await deleteManifest(opts.registry, repo, digest, opts.registryAuth);
    deleted.push(...names);
  }
  return deleted;
}

/** Tags this platform makes (others, pushed by hand, are left alone). */
const isPlatformTag = (tag: string): boolean => /^v\d+$/.test(tag) || tag.startsWith('build-');

export function keptTags(db: Db, appId: string, keep: number, pending: string[]): Set<string> {
  const releases = listReleases(db, appId).sort((a, b) => b.version - a.version);
  const kept = releases.slice(0, keep);
  const current = currentRelease(db, appId);
  if (current && !kept.some((r) => r.id === current.id)) kept.push(current);
  const tags = new Set<string>();
  for (const r of kept) {
    tags.add(`v${r.version}`);
    if (r.build_id) tags.add(`build-${r.build_id}`);
  }
  for (const id of pending) tags.add(`build-${id}`);
  return tags;
}
