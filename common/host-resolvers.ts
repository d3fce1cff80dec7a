// The DNS servers Docker's embedded resolver (127.0.0.11 in every container on a user-defined
// network) forwards to. It sends those queries from inside the container's network namespace
// (measured: a lookup in a tenant container adds to the FORWARD counters of the pa-+ bridges),
// so tenant networks must reach these servers on port 53, and nothing else on port 53. Docker
// takes them from the host's /etc/resolv.conf, or from the daemon's `dns` setting. Loopback
// servers (systemd-resolved's 127.0.0.53) Docker queries from the host's own namespace: no
// tenant packet goes there.
import fs from 'node:fs';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 `nameserver` lines of a resolv.conf text, loopback ones left out. */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && IPV4.test(m[1]) && !m[1].startsWith('127.')) servers.push(m[1]);
  }
  return servers;
}

/** The IPv4 DNS servers tenant containers' forwarded queries go to (see above). */
export function hostResolvers(files = { resolvConf: '/etc/resolv.conf', daemonJson: '/etc/docker/daemon.json' }): string[] {
  const read = (file: string): string => { try { return fs.readFileSync(file, 'utf8'); } catch { return ''; } };
  let daemonDns: string[] = [];
  try {
    const dns = (JSON.parse(read(files.daemonJson) || '{}') as { dns?: unknown }).dns;
    if (Array.isArray(dns)) daemonDns = dns.filter((d): d is string => typeof d === 'string' && IPV4.test(d) && !d.startsWith('127.'));
  } catch { /* no daemon.json, or not JSON: dockerd would not start with it either */ }
  return [...new Set(daemonDns.length > 0 ? daemonDns : parseResolvConf(read(files.resolvConf)))];
}
