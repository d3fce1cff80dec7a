// Puts a local image into the test registry under <registry>/<repo>:<tag> (as a build would).
import type Dockerode from 'dockerode';

export async function pushTestImage(docker: Dockerode, source: string, registry: string, repo: string, tags: string[]): Promise<void> {
  for (const tag of tags) {
    await docker.getImage(source).tag({ repo: `${registry}/${repo}`, tag });
    const stream = await docker.getImage(`${registry}/${repo}:${tag}`).push({ authconfig: { serveraddress: registry } });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      });
    });
  }
}
