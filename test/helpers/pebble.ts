// Let's Encrypt's test CA (Debian's `pebble`) on loopback, for real ACME issuance in tests.
// pebble-challtestsrv answers pebble's DNS queries with 127.0.0.1, so every domain "points" at
// this machine, and pebble validates HTTP-01 on httpPort: the router's HTTP port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { makeCertificate } from '../../common/x509.ts';
import { freePort } from './free-port.ts';

export interface Pebble {
  directoryUrl: string;
  /** PEM file of the CA that pebble's own HTTPS listener uses (trust it for directoryUrl). */
  caFile: string;
  /** PEM of the root that signs issued certificates. */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

export function havePebble(): Promise<boolean> {
  return new Promise((resolve) => execFile('pebble', ['-version'], (err) => resolve(!err || (err as NodeJS.ErrnoException).code !== 'ENOENT')));
}

export async function startPebble(opts: { httpPort: number }): Promise<Pebble> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-pebble-'));
  const tlsPair = await makeCertificate({ hosts: ['localhost', '127.0.0.1'] });
  fs.writeFileSync(path.join(dir, 'cert.pem'), tlsPair.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), tlsPair.key);
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: path.join(dir, 'cert.pem'), privateKey: path.join(dir, 'key.pem'),
      httpPort: opts.httpPort, tlsPort: await freePort(), ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }));
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    children.push(child);
    return child;
  };
  run('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '',
    '-management', `127.0.0.1:${dnsMgmtPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '']);
  run('pebble', ['-config', path.join(dir, 'config.json'), '-dnsserver', `127.0.0.1:${dnsPort}`, '-strict=false'],
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' });
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const get = (url: string): Promise<string> => new Promise((resolve, reject) => {
    https.get(url, { ca: tlsPair.cert }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
    }).on('error', reject);
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await get(directoryUrl);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        for (const c of children) c.kill();
        throw new Error(`pebble did not start: ${String(err)}\n${output.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    directoryUrl,
    caFile: path.join(dir, 'cert.pem'),
    issuingRoot: () => get(`https://127.0.0.1:${mgmtPort}/roots/0`),
    async stop() {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill();
      })));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
