// How the controller cancels a build the builder runs: it sets the build's cancel key (seen by a
// job that has not started yet) and publishes the build id (seen by the worker running it).
import type { Redis } from 'ioredis';
import { buildCancelChannel, buildCancelKey } from './redis-keys.ts';


export async function requestBuildCancel(redis: Redis, prefix: string, buildId: string): Promise<void> {
  await redis.set(buildCancelKey(prefix, buildId), '1', 'EX', 24 * 3600);
  await redis.publish(buildCancelChannel(prefix), buildId);
}
