// A redis-server of a test's own, on a free loopback port, with AOF persistence in a temp dir
// and a password (as bin/setup starts the platform's): a fault test may kill and restart it
// (the shared Redis must never be touched).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export interface PrivateRedis {
  /** With the password in it. */
  url: string;
  port: number;
  dir: string;
  /** Stops it: SIGKILL (a crash: only what the AOF holds survives) or SIGTERM (clean). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-redis-'));
  const password = randomBytes(16).toString('hex');
  // The password in a file, not on the command line (which any local user can read).
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(conf, `requirepass ${password}\n`, { mode: 0o600 });
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', [
      conf, '--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always',
      '--maxmemory-policy', 'noeviction', '--dir', dir, '--save', '', '--daemonize', 'no',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    child = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${proc.exitCode})`);
      const probe = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      const up = await probe.connect().then(() => probe.ping(), () => null).finally(() => probe.disconnect());
      if (up === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} does not answer`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  await start();
  return {
    url: `redis://:${password}@127.0.0.1:${port}/0`,
    port,
    dir,
    stop,
    start,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
