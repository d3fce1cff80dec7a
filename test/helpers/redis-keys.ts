// Removes Redis keys by pattern: what a test or bench platform left under its key prefix.
import type { Redis } from 'ioredis';

/** Deletes every key matching `pattern` (SCAN MATCH syntax, e.g. "paastest-1a2b:*"). */
export async function removeRedisKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
