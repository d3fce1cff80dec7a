// Dashboard sessions in real Redis: what Redis holds is neither the session id nor the token,
// a session ends at its expiry (and Redis drops it), logout removes it, forged ids find nothing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { testConfig } from '../../test/helpers/config.ts';
import { removeRedisKeys } from '../../test/helpers/redis-keys.ts';
import { createSessionStore } from './sessions.ts';

const config = testConfig();
const redis = new Redis(config.redisUrl);
after(async () => {
  await removeRedisKeys(redis, `${config.redisPrefix}:*`);
  redis.disconnect();
});

test('a session keeps the token sealed under a hashed key; get, expiry and destroy', async () => {
  let now = Date.now();
  const store = createSessionStore({ redis, prefix: config.redisPrefix, ttlSec: 60, now: () => now });
  const token = 'paas_secret-token-value';
  const { id, session } = await store.create('user-1', token);
  assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  assert.match(session.csrf, /^[A-Za-z0-9_-]{43}$/);

  const keys = await redis.keys(`${config.redisPrefix}:dashboard:session:*`);
  assert.equal(keys.length, 1);
  assert.ok(!keys[0].includes(id));
  const stored = await redis.get(keys[0]) ?? '';
  assert.ok(!stored.includes(token) && !stored.includes(id));
  const ttl = await redis.pttl(keys[0]);
  assert.ok(ttl > 50_000 && ttl <= 60_000, String(ttl));

  assert.deepEqual(await store.get(id), session);
  assert.equal(await store.get(`${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`), null);
  assert.equal(await store.get('../../etc'), null);

  now += 61_000;
  assert.equal(await store.get(id), null, 'past its expiry');
  now -= 61_000;
  await store.destroy(id);
  assert.equal(await store.get(id), null);
  assert.equal((await redis.keys(`${config.redisPrefix}:dashboard:session:*`)).length, 0);
});
