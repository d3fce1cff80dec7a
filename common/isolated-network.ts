// Docker networks for tenants: one bridge per app (dynos) and one for builds. Their Linux
// bridges are all named `pa-<hash>`, so a few iptables rules on the `pa-+` wildcard keep every
// such network away from the host and the local network:
//   INPUT:        nothing from a tenant bridge reaches a host socket (Redis, the registry, the
//                 API, the Docker socket's TCP twin…) except replies to connections the host
//                 opened (the router's port forwarding into web dynos).
//   DOCKER-USER:  nothing from a tenant bridge is forwarded to link-local (169.254.169.254),
//                 private (RFC 1918), shared (100.64/10) or loopback-mapped addresses, except
//                 port 53 of the DNS servers Docker's embedded resolver forwards to
//                 (host-resolvers.ts); port 53 of any other local address is dropped too.
// Docker itself drops traffic between two different bridges, so apps do not reach each other.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import type Dockerode from 'dockerode';
import { hostResolvers } from './host-resolvers.ts';

/** Prefix of the Linux bridge of every tenant network (interface names are at most 15 bytes). */
export const TENANT_BRIDGE_PREFIX = 'pa-';
const INPUT_CHAIN = 'PAAS-INPUT';
const FORWARD_CHAIN = 'PAAS-FORWARD';
/** Where tenant containers must never connect to (besides the host itself). */
export const LOCAL_NETWORKS = ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8'];

export interface TenantNetworkOptions {
  docker: Dockerode;
  /** Docker network name, e.g. `paas-app-hello`. */
  name: string;
  /** Labels of the network (the platform label, `.app`). */
  labels: Record<string, string>;
  /** Whether containers on it may talk to each other (dynos of one app: yes; builds: no). */
  icc: boolean;
}

export const bridgeName = (network: string): string =>
  `${TENANT_BRIDGE_PREFIX}${createHash('sha256').update(network).digest('hex').slice(0, 12)}`;

function iptables(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', '5', ...args], { timeout: 15_000 }, (err, _out, stderr) => resolve({ ok: !err, stderr: String(stderr) }));
  });
}

/** Adds the rule unless the chain has it: appended, first, or at a 1-based position. */
async function ensureRule(chain: string, rule: string[], position: 'append' | 'insert' | number): Promise<void> {
  if ((await iptables(['-C', chain, ...rule])).ok) return;
  const where = position === 'append' ? ['-A', chain] : position === 'insert' ? ['-I', chain] : ['-I', chain, String(position)];
  const added = await iptables([...where, ...rule]);
  if (!added.ok) throw new Error(`iptables: could not add to ${chain} (${rule.join(' ')}): ${added.stderr.trim()}`);
}

async function ensureChain(chain: string): Promise<void> {
  if ((await iptables(['-S', chain])).ok) return;
  const made = await iptables(['-N', chain]);
  if (!made.ok && !/exists/i.test(made.stderr)) throw new Error(`iptables: could not create ${chain}: ${made.stderr.trim()}`);
}

let firewallReady: Promise<void> | null = null;

/** Installs (idempotently) the rules above. Needs root and Docker's DOCKER-USER chain.
 *  `resolvers`: the DNS servers tenants' forwarded queries go to (default: hostResolvers()). */
export function ensureTenantFirewall(resolvers: () => string[] = hostResolvers): Promise<void> {
  firewallReady ??= (async () => {
    const bridges = `${TENANT_BRIDGE_PREFIX}+`;
    await ensureChain(INPUT_CHAIN);
    await ensureRule(INPUT_CHAIN, ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'], 'append');
    await ensureRule(INPUT_CHAIN, ['-j', 'DROP'], 'append');
    await ensureRule('INPUT', ['-i', bridges, '-j', INPUT_CHAIN], 'insert');
    await ensureChain(FORWARD_CHAIN);
    await ensureRule(FORWARD_CHAIN, ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'], 'append');
    // Between two tenant bridges: Docker's own isolation rules drop it (apps never reach each
    // other); within one bridge it is the network's own traffic (icc decides).
    await ensureRule(FORWARD_CHAIN, ['-o', bridges, '-j', 'RETURN'], 'append');
    // Name resolution: Docker's embedded DNS forwards from inside the container's namespace to
    // the host's resolvers, which are often on a private address: those, on port 53 only, go
    // third (before the drops, also in a chain made by an older version, whose rule let port
    // 53 of every address through: removed).
    for (const proto of ['udp', 'tcp']) await iptables(['-D', FORWARD_CHAIN, '-p', proto, '-m', proto, '--dport', '53', '-j', 'RETURN']);
    for (const server of resolvers()) {
      for (const proto of ['udp', 'tcp']) await ensureRule(FORWARD_CHAIN, ['-d', `${server}/32`, '-p', proto, '-m', proto, '--dport', '53', '-j', 'RETURN'], 3);
    }
    for (const net of LOCAL_NETWORKS) await ensureRule(FORWARD_CHAIN, ['-d', net, '-j', 'DROP'], 'append');
    await ensureRule('DOCKER-USER', ['-i', bridges, '-j', FORWARD_CHAIN], 'insert');
  })().catch((err: unknown) => {
    firewallReady = null;
    throw err;
  });
  return firewallReady;
}

/** Creates the network unless it exists; returns its name. Never two networks of one name
 *  (CheckDuplicate), also when two processes race. */
export async function ensureTenantNetwork(opts: TenantNetworkOptions): Promise<string> {
  await ensureTenantFirewall();
  const existing = await opts.docker.listNetworks({ filters: { name: [opts.name] } });
  if (existing.some((n) => n.Name === opts.name)) return opts.name;
  try {
    await opts.docker.createNetwork({
      Name: opts.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: opts.labels,
      Options: {
        'com.docker.network.bridge.name': bridgeName(opts.name),
        'com.docker.network.bridge.enable_icc': String(opts.icc),
      },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
  return opts.name;
}

/** Removes a tenant network; one that still has containers (or is gone) is left alone. */
export async function removeTenantNetwork(docker: Dockerode, name: string): Promise<void> {
  await docker.getNetwork(name).remove().catch(() => undefined);
}
