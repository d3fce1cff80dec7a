// Keeps the engine's copies of an app's build images in check: after a build, all but the
// newest `keep` `<registry>/<app>:build-*` tags are removed. Only tags go: an image still used
// by a container, or also tagged as a release the scheduler pulled, stays.
import type Dockerode from 'dockerode';

export const DEFAULT_KEEP_BUILD_IMAGES = 10;

export async function pruneBuildImages(opts: { docker: Dockerode; repo: string; keep: number }): Promise<string[]> {
  const images = await opts.docker.listImages({ filters: { reference: [`${opts.repo}:build-*`] } });
  const tagged = images
    .flatMap((img) => (img.RepoTags ?? []).filter((t) => t.startsWith(`${opts.repo}:build-`)).map((tag) => ({ tag, created: img.Created })))
    .sort((a, b) => b.created - a.created);
  const removed: string[] = [];
  for (const { tag } of tagged.slice(Math.max(0, opts.keep))) {
    const ok = await opts.docker.getImage(tag).remove({ noprune: false }).then(() => true, () => false);
    if (ok) removed.push(tag);
  }
  return removed;
}
