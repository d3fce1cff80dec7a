import { Redis } from 'ioredis';
import { loadConfig } from '../../common/config.ts';
const redis = new Redis(loadConfig().redisUrl);
const key = `paasbench-gc3-${process.pid}`;
const mode = process.env.MODE ?? 'set';
let n = 0;
const tick = (): void => {
  const lines: string[] = [];
  for (let i = 0; i < 230; i++) lines.push(`2026-11-27T01:00:00.000Z at=info method=GET path="/small" host=app.bench.test request_id=${crypto.randomUUID()} fwd="127.0.0.1" dyno=web.1 connect=0ms service=${i}ms status=200 bytes=12 protocol=http`);
  const joined = lines.join('\n');
  if (mode === 'set') void redis.set(key, joined);
  else if (mode === 'strlen') void redis.strlen(joined);
  else if (mode === 'none') void redis.strlen('x');
  if (++n < 800) setTimeout(tick, 10); else void redis.del(key).then(() => redis.disconnect());
};
redis.once('ready', () => {
  if (process.env.PATCH) {
    const st = (redis as unknown as { stream: { write: (d: unknown, ...r: unknown[]) => boolean } }).stream;
    const w = st.write.bind(st);
    st.write = (d: unknown, ...r: unknown[]) => w(typeof d === 'string' ? Buffer.from(d) : d, ...r);
  }
  if (process.env.ARGS) {
    const orig = redis.sendCommand.bind(redis);
    (redis as unknown as { sendCommand: unknown }).sendCommand = (cmd: { promise: Promise<unknown>; args: unknown[] }, ...r: unknown[]) => { const p = orig(cmd as never, ...(r as [])); void cmd.promise.finally(() => { cmd.args = []; }); return p; };
  }
  tick();
});
