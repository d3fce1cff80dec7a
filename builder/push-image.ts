// Pushes an image to the platform registry and returns the digest the registry reported.
import type Dockerode from 'dockerode';
import type { RegistryAuth } from '../common/config.ts';
import { dockerAuthConfig } from '../common/registry-auth.ts';
import { followDockerStream } from './docker-stream.ts';
import { errorMessage } from '../common/errors.ts';

export interface PushImageOptions {
  docker: Dockerode;
  image: string;
  /** host:port of the registry (config.registry) and its credentials. */
  registry: string;
  registryAuth: RegistryAuth | null;
  log: (line: string) => void;
}

export async function pushImage(opts: PushImageOptions): Promise<string | null> {
  const stream = await opts.docker.getImage(opts.image).push({ authconfig: dockerAuthConfig(opts.registry, opts.registryAuth) });
  let digest: string | null = null;
  const reported = new Set<string>();
  try {
    await followDockerStream(stream, (event) => {
      const aux = event.aux as { Digest?: unknown } | undefined;
      if (typeof aux?.Digest === 'string') digest = aux.Digest;
      // One line per layer state ("Pushed", "Layer already exists"), no progress bars.
      if (event.id && event.status && !event.progress) {
        const line = `${event.id}: ${event.status}`;
        if (!reported.has(line)) {
          reported.add(line);
          if (/^(Pushed|Layer already exists|Mounted from)/.test(event.status)) opts.log(`       ${line}`);
        }
      }
    });
  } catch (err) {
    throw new Error(`pushing ${opts.image} failed: ${errorMessage(err)}`, { cause: err });
  }
  return digest;
}
