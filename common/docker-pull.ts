// Pulls an image into one engine from the platform's registry: the local driver's dynos, the
// one-offs both drivers run on the engine the platform is on, and the builder (an image built
// on the build engine comes to the run engine this way).
import type Dockerode from 'dockerode';

export async function pullImage(docker: Dockerode, image: string, authconfig: object): Promise<void> {
  const stream = await docker.pull(image, { authconfig });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out?.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(failed?.error));
      else resolve();
    });
  });
}
