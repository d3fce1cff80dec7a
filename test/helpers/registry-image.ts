// Puts a local image into the test registry under <registry>/<repo>:<tag> (as a build would).
import type Dockerode from 'dockerode';
import type { RegistryAuth } from '../../common/config.ts';
import { dockerAuthConfig } from '../../common/registry-auth.ts';

export async function pushTestImage(docker: Dockerode, source: string, registry: string, repo: string, tags: string[], auth: RegistryAuth | null): Promise<void> {
  for (const tag of tags) {
    await docker.getImage(source).tag({ repo: `${registry}/${repo}`, tag });
    const stream = await docker.getImage(`${registry}/${repo}:${tag}`).push({ authconfig: dockerAuthConfig(registry, auth) });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      });
    });
  }
}
