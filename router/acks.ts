// Tells the controller which route table this router uses and what it still has in flight to
// backends outside it (common/route-acks.ts): written after every table swap, when such a
// backend becomes idle, and every ROUTER_ACK_TTL_MS / 3 as a heartbeat. Writes never overlap;
// a change during a write causes one more write.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ROUTER_ACK_TTL_MS, type RouterAck } from '../common/route-acks.ts';
import { routerAckKey, routerSetKey } from '../common/redis-keys.ts';
import { errorMessage } from '../common/errors.ts';

export interface AckReporter {
  id: string;
  /** Writes the current state soon (coalesced). */
  report(): void;
  close(): Promise<void>;
}

export function startAckReporter(opts: { redis: Redis; prefix: string; state: () => RouterAck; log: (line: string) => void }): AckReporter {
  const { redis, prefix } = opts;
  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const key = routerAckKey(prefix, id);
  let writing = false;
  let again = false;
  let closed = false;
  let failing = false;

  const write = (): void => {
    if (closed) return;
    if (writing) { again = true; return; }
    writing = true;
    again = false;
    redis.multi()
      .set(key, JSON.stringify(opts.state()), 'PX', ROUTER_ACK_TTL_MS)
      .sadd(routerSetKey(prefix), id)
      .exec()
      .then(() => { failing = false; }, (err: unknown) => {
        if (!failing && !closed) opts.log(`could not report the route table in use: ${errorMessage(err)}`);
        failing = true;
      })
      .finally(() => {
        writing = false;
        if (again) write();
      });
  };

  const heartbeat = setInterval(write, ROUTER_ACK_TTL_MS / 3);
  heartbeat.unref();
  write();

  return {
    id,
    report: write,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      if (redis.status !== 'ready') return;
      // Drop out at once rather than when the key expires; never wait long for it.
      const gone = redis.multi().del(key).srem(routerSetKey(prefix), id).exec().catch(() => undefined);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 300).unref())]);
    },
  };
}
