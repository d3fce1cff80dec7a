// Each add-on network gets a /26 of its own from a pool (PAAS_ADDON_SUBNETS, 10.213.0.0/16 by
// default: 1024 add-ons), so that its server has a fixed address (.2): URLs name the server by
// address, which keeps working when the engine's embedded DNS does not (seen here while the
// engine joined and left a swarm) and survives restarts of the server container.
const BLOCK = 26;

const toInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

function parseCidr(cidr: string): { base: number; bits: number } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || m[1].split('.').some((p) => Number(p) > 255) || Number(m[2]) > 32) return null;
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  return { base: toInt(m[1]) - (toInt(m[1]) % size), bits };
}

const overlaps = (a: { base: number; bits: number }, b: { base: number; bits: number }): boolean =>
  a.base < b.base + 2 ** (32 - b.bits) && b.base < a.base + 2 ** (32 - a.bits);

/** The first /26 of the pool that overlaps none of the subnets in use; null when all are. */
export function freeSubnet(pool: string, used: string[]): string | null {
  const p = parseCidr(pool);
  if (!p || p.bits > BLOCK) throw new Error(`PAAS_ADDON_SUBNETS must be an IPv4 network of /${BLOCK} or larger, not ${JSON.stringify(pool)}`);
  const taken = used.map(parseCidr).filter((u): u is { base: number; bits: number } => u !== null);
  for (let base = p.base; base < p.base + 2 ** (32 - p.bits); base += 2 ** (32 - BLOCK)) {
    const block = { base, bits: BLOCK };
    if (!taken.some((t) => overlaps(block, t))) return `${toIp(base)}/${BLOCK}`;
  }
  return null;
}

/** The server's fixed address in its network's subnet (the gateway is .1). */
export const serverAddress = (subnet: string): string => toIp((parseCidr(subnet)?.base ?? 0) + 2);
