// Cost of log drains in paasd: the shipper's CPU per line shipped, and whether a stalled drain
// slows a healthy one. A child process writes N lines into an app log stream (pipelined XADD,
// as router workers and the dyno output collector do) and runs the receivers: a syslog TCP
// listener that reads, and one that accepts and never reads (stalled). This process runs only
// the shipper, so its CPU time is the shipper's. Each round ships N lines to the healthy drain
// alone, then to the healthy drain beside the stalled one; it prints times, CPU µs per line and
// the stalled drain's dropped count.
// Usage: node bench/drains/run.ts [--lines 50000] [--rounds 3]   (Redis at PAAS_REDIS_URL; loopback only)
import { fork } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { appendAppLog } from '../../common/app-log.ts';
import { loadConfig } from '../../common/config.ts';
import { parseOctetCounted } from '../../common/syslog-frame.ts';
import { startDrainShipper, type DrainTarget } from '../../controller/services/drain-shipper.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const LINES = arg('lines', 50_000);
const ROUNDS = arg('rounds', 3);
const config = loadConfig();
const childAt = process.argv.indexOf('--child');
const prefix = childAt > 0 ? process.argv[childAt + 1] : `paastest-bench-drains-${process.pid}`;

if (childAt > 0) {
  // Receivers and the writer.
  const redis = new Redis(config.redisUrl);
  let received = 0;
  let rest: Buffer = Buffer.alloc(0);
  const healthy = net.createServer((s) => s.on('data', (c: Buffer) => {
    const p = parseOctetCounted(Buffer.concat([rest, c]));
    rest = p.rest;
    received += p.messages.filter((m) => m.includes(' bench ')).length;
  }));
  const stalled = net.createServer((s) => s.pause());
  await Promise.all([healthy, stalled].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))));
  process.send!({ ports: [healthy, stalled].map((s) => (s.address() as net.AddressInfo).port) });
  process.on('message', async (m: { write: string; n: number }) => {
    received = 0;
    const start = Date.now();
    const line = `bench ${'x'.repeat(100)}`;
    for (let i = 0; i < m.n; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, m.n - i) }, () => appendAppLog(redis, prefix, m.write, { source: 'app', dyno: 'web.1', line })));
    }
    const written = Date.now() - start;
    for (let i = 0; i < 2000 && received < m.n; i++) await new Promise((r) => setTimeout(r, 5));
    if (received < m.n) console.error(`healthy drain got ${received} of ${m.n}`);
    process.send!({ written, shipped: Date.now() - start });
  });
} else {
  const child = fork(import.meta.filename, ['--child', prefix], { execArgv: process.execArgv });
  const reply = <T>(): Promise<T> => new Promise((r) => child.once('message', (m) => r(m as T)));
  const { ports } = await reply<{ ports: number[] }>();
  const redis = new Redis(config.redisUrl);
  const drains: DrainTarget[] = [];
  const shipper = startDrainShipper({
    redis, reader: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), prefix, drains: () => drains,
    policy: { allowPrivate: true }, timeoutMs: 2000, refreshMs: 100, log: () => undefined,
  });
  const wait = async (n: number) => { while (shipper.stats().length !== n) await new Promise((r) => setTimeout(r, 20)); };
  console.log(`lines ${LINES} of ~130 bytes per round; shipper CPU is this process's`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const withStall of [false, true]) {
      const app = `bench-${round}-${withStall ? 'stall' : 'alone'}`;
      drains.length = 0;
      drains.push({ id: `${app}-ok`, app, url: `syslog+tcp://127.0.0.1:${ports[0]}`, token: 'd.ok' });
      if (withStall) drains.push({ id: `${app}-stall`, app, url: `syslog+tcp://127.0.0.1:${ports[1]}`, token: 'd.stall' });
      await wait(drains.length);
      const cpu = process.cpuUsage();
      child.send({ write: app, n: LINES });
      const r = await reply<{ written: number; shipped: number }>();
      const used = process.cpuUsage(cpu);
      const stall = shipper.stats().find((s) => s.id === `${app}-stall`);
      console.log(`round ${round} ${withStall ? 'healthy + stalled' : 'healthy alone    '}: written in ${r.written} ms, all at the healthy drain after ${r.shipped} ms,`
        + ` shipper CPU ${((used.user + used.system) / LINES).toFixed(1)} µs/line${stall ? `, stalled drain dropped ${stall.dropped} buffered ${stall.buffered}` : ''}`);
      await redis.del(`${prefix}:applog:${app}`);
    }
  }
  await shipper.close();
  await redis.del(`${prefix}:drains:cursors`, `${prefix}:drains:stats`);
  redis.disconnect();
  child.kill();
}
