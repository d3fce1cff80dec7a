// Which peers may tell the router who the client is. A request straight from a client has its
// X-Forwarded-For/-Proto/-Host/-Port, Forwarded and X-Real-IP replaced or dropped (a client
// could otherwise pose as any address, or as HTTPS); a peer in PAAS_TRUSTED_PROXIES (a load
// balancer in front of the router) is believed: X-Forwarded-For is appended to and its
// Proto/Host/Port, Forwarded and X-Real-IP pass through.
import net from 'node:net';
import type { Socket } from 'node:net';

export type TrustCheck = (socket: Socket) => boolean;

/** Parses "10.0.0.0/8, 192.0.2.7, fd00::/8"; throws on an entry that is not an address or CIDR. */
export function parseTrustedProxies(list: string): string[] {
  const entries = list.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = net.isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || extra !== undefined) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(entry)}`);
  }
  return entries;
}

/** Throws on an entry that is not an address or CIDR range (a router must not start half-configured). */
export function trustCheck(configured: readonly string[]): TrustCheck {
  const entries = parseTrustedProxies(configured.join(','));
  if (entries.length === 0) return () => false;
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = net.isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  /** One answer per connection: its peer does not change. */
  const known = new WeakMap<Socket, boolean>();
  return (socket) => {
    let trusted = known.get(socket);
    if (trusted === undefined) {
      let address = socket.remoteAddress ?? '';
      if (address.startsWith('::ffff:') && net.isIPv4(address.slice(7))) address = address.slice(7);
      trusted = address !== '' && list.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');
      known.set(socket, trusted);
    }
    return trusted;
  };
}
