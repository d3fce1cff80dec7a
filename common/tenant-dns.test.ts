// Port 53 from tenant networks, attacked for real: a dyno on an app network sends to port 53
// (TCP and UDP) of a host on the local network — a network namespace this test makes, at a
// private address routed by the host — and must not reach it. What Docker's embedded DNS
// needs (the host's resolvers, port 53) stays open, and names on the app's network resolve.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { hostResolvers, parseResolvConf } from './host-resolvers.ts';
import { ensureTenantNetwork, removeTenantNetwork } from './isolated-network.ts';

const run = (cmd: string, args: string[]): Promise<{ stdout: string }> => promisify(execFile)(cmd, args, { timeout: 15_000 });
const docker = new Dockerode({ socketPath: process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock' });
const tag = String(process.pid % 10_000);
const netns = `paas53-${tag}`;
const [hostIf, nsIf] = [`p53h${tag}`, `p53n${tag}`];
const subnet = `10.254.${process.pid % 250}`;
const lanHost = `${subnet}.2`;
const network = `paastest-dns-${tag}`;
let listener: ChildProcess | null = null;
let received = '';
const containers: Dockerode.Container[] = [];

// A "host on the local network" answering DNS-style on TCP and UDP port 53.
const LISTENER = `
const dgram = require('node:dgram'); const net = require('node:net');
net.createServer((s) => { console.log('TCP'); s.end(); }).listen(53, '0.0.0.0', () => {
  dgram.createSocket('udp4').on('message', () => console.log('UDP')).bind(53, '0.0.0.0', () => console.log('listening'));
});`;

before(async () => {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
  await run('ip', ['link', 'set', nsIf, 'netns', netns]);
  await run('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', hostIf]);
  await run('ip', ['link', 'set', hostIf, 'up']);
  for (const args of [['addr', 'add', `${lanHost}/30`, 'dev', nsIf], ['link', 'set', nsIf, 'up'], ['link', 'set', 'lo', 'up'], ['route', 'add', 'default', 'via', `${subnet}.1`]]) {
    await run('ip', ['netns', 'exec', netns, 'ip', ...args]);
  }
  listener = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  listener.stdout!.on('data', (d: Buffer) => { received += d.toString(); });
  for (let i = 0; i < 100 && !received.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(received, /listening/);
  await ensureTenantNetwork({ docker, name: network, labels: { paastest: '1' }, icc: true });
});

after(async () => {
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
  await removeTenantNetwork(docker, network);
  listener?.kill('SIGKILL');
  await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
  await run('ip', ['link', 'delete', hostIf]).catch(() => undefined);
});

/** Runs `script` in a busybox container on the app network; its output. */
async function inDyno(script: string, name?: string): Promise<string> {
  const c = await docker.createContainer({
    Image: 'paas/busybox:test', name, Cmd: ['sh', '-c', script], Labels: { paastest: '1' }, HostConfig: { NetworkMode: network },
  });
  containers.push(c);
  await c.start();
  await c.wait();
  return (await c.logs({ stdout: true, stderr: true })).toString();
}

test('a dyno reaches no local host on port 53 (TCP or UDP); the host itself does', async () => {
  // Control: the listener answers from the host.
  await new Promise<void>((resolve, reject) => net.connect(53, lanHost, resolve).on('error', reject));
  for (let i = 0; i < 40 && !received.includes('TCP'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(received, /TCP/);
  received = '';
  const out = await inDyno(`if nc -w 2 ${lanHost} 53 </dev/null; then echo TCP-REACHED; else echo tcp-blocked; fi; ` +
    `echo query | nc -u -w 1 ${lanHost} 53; echo udp-sent`);
  assert.match(out, /tcp-blocked/, out);
  assert.match(out, /udp-sent/, out);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(received, '', 'the local host got nothing from the dyno');
});

test('port 53 stays open to the host\'s resolvers only, and names on the app network resolve', async () => {
  const rules = (await run('iptables', ['-S', 'PAAS-FORWARD'])).stdout;
  // Before the drops (an older paasd on the machine may append its any-address rule after them,
  // where it lets nothing private through).
  const beforeDrops = rules.slice(0, rules.indexOf('-j DROP'));
  assert.doesNotMatch(beforeDrops, /^-A PAAS-FORWARD -p (udp|tcp) -m (udp|tcp) --dport 53 -j RETURN$/m, rules);
  for (const server of hostResolvers()) {
    for (const proto of ['udp', 'tcp']) assert.ok(beforeDrops.includes(`-A PAAS-FORWARD -d ${server}/32 -p ${proto} -m ${proto} --dport 53 -j RETURN`), rules);
  }
  const name = `paastest-dns-peer-${tag}`;
  const peer = await docker.createContainer({ Image: 'paas/busybox:test', name, Cmd: ['sleep', '30'], Labels: { paastest: '1' }, HostConfig: { NetworkMode: network } });
  containers.push(peer);
  await peer.start();
  const out = await inDyno(`nslookup ${name} 127.0.0.11`);
  assert.match(out, /Address: \d+\.\d+\.\d+\.\d+/, out);
});

test('resolvers: IPv4 nameservers of resolv.conf, loopback ones left out', () => {
  assert.deepEqual(parseResolvConf('# x\nnameserver 10.0.0.2\nnameserver 127.0.0.53\nnameserver ::1\n nameserver 192.168.1.1 # lan\n'), ['10.0.0.2', '192.168.1.1']);
});
