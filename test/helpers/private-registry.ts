// A docker-registry of a test's own on a free loopback port, storage in a temp dir: a fault test
// may stop it (the shared registry on 127.0.0.1:5000 must never be touched). dockerd treats
// 127.0.0.0/8 as insecure registries, so it pushes and pulls over plain HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

export interface PrivateRegistry {
  /** host:port, as PAAS_REGISTRY takes it. */
  address: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRegistry(): Promise<PrivateRegistry> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-registry-'));
  const address = `127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, [
    'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${dir}/data`,
    '  delete:', '    enabled: true', 'http:', `  addr: ${address}`, '',
  ].join('\n'));
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'ignore'] });
    child = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry on ${address} exited (${proc.exitCode})`);
      const ok = await fetch(`http://${address}/v2/`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`docker-registry on ${address} does not answer`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGKILL'); });
  };

  await start();
  return {
    address, stop, start,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
