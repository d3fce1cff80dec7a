// Where a URL that a tenant gave us (a source blob, a buildpack, a webhook) may lead. Unless the
// operator allows it (PAAS_ALLOW_PRIVATE_URLS), the platform never connects on a tenant's behalf
// to loopback, link-local (cloud metadata), private, shared (CGNAT), unspecified, multicast or
// reserved addresses: those reach the platform's own services (API, Redis, registry, dynos) and
// the operator's network. The check is made on the addresses a name resolves to, at connect
// time (so DNS rebinding gains nothing), and again on every redirect.
import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch, type Response } from 'undici';
import { PaasError } from './errors.ts';

export interface UrlPolicy {
  /** Operator setting: private and local addresses may be reached (trusted tenants, tests). */
  allowPrivate: boolean;
  /** Host names (as written in URLs, lowercase) that may be reached whatever they resolve to,
   *  e.g. the operator's internal git server. */
  allowHosts?: string[];
}

/** The policy an operator configured (common/config.ts fields). */
export const urlPolicyOf = (config: { allowPrivateUrls: boolean; privateUrlHosts: string[] }): UrlPolicy =>
  ({ allowPrivate: config.allowPrivateUrls, allowHosts: config.privateUrlHosts });

const hostAllowed = (policy: UrlPolicy, host: string): boolean =>
  policy.allowPrivate || (policy.allowHosts ?? []).includes(host.toLowerCase().replace(/\.$/, ''));

/** A URL refused by the policy (`refused`), or one that could not be resolved or reached. The
 *  message names the URL as given, never what answered. */
export class UrlPolicyError extends PaasError {
  readonly refused: boolean;
  constructor(message: string, refused = true) {
    super(refused ? 'url_not_allowed' : 'url_unreachable', 422, message);
    this.refused = refused;
  }
}

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(prefix, bits, 'ipv6');

/** The IPv4 address an IPv6 address carries (v4-mapped, v4-compatible, NAT64, 6to4), if any. */
function embeddedIpv4(ip: string): string | null {
  const groups = expandIpv6(ip);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && (groups[5] === 0xffff || groups[5] === 0)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return null;
}

function expandIpv6(ip: string): number[] | null {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** Whether an IP address is one a tenant's URL must not reach (anything but a public unicast address). */
export function isPrivateAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(ip);
  if (v4 !== null) return blocked.check(v4, 'ipv4');
  return blocked.check(ip.replace(/%.*$/, ''), 'ipv6');
}

/** The host of a URL without IPv6 brackets. */
export const urlHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Throws unless `url` parses, uses one of `protocols`, and its host (if an IP literal) is allowed. */
export function checkUrl(input: string | URL, policy: UrlPolicy, protocols: string[] = ['http:', 'https:']): URL {
  let url: URL;
  try { url = new URL(input); } catch { throw new UrlPolicyError(`${String(input)} is not a URL.`); }
  if (!protocols.includes(url.protocol)) throw new UrlPolicyError(`${url.protocol}// URLs are not allowed here: use ${protocols.map((p) => `${p}//`).join(' or ')}.`);
  if (url.username || url.password) throw new UrlPolicyError('URLs with credentials are not allowed here.');
  const host = urlHost(url);
  if (!hostAllowed(policy, host)) {
    if (net.isIP(host) && isPrivateAddress(host)) throw refused(url);
    if (host === 'localhost' || host.endsWith('.localhost') || host === '') throw refused(url);
  }
  return url;
}

const refused = (url: URL | string) =>
  new UrlPolicyError(`${String(url)} points at a loopback, private or reserved address, which this platform does not reach (an operator can allow it with PAAS_ALLOW_PRIVATE_URLS=1).`);

/** The addresses `host` resolves to; throws if any of them is not allowed (or it does not resolve). */
export async function resolveAllowed(host: string, policy: UrlPolicy): Promise<string[]> {
  const allowed = hostAllowed(policy, host);
  if (net.isIP(host)) {
    if (!allowed && isPrivateAddress(host)) throw refused(host);
    return [host];
  }
  const found = await dns.promises.lookup(host, { all: true, verbatim: true }).catch(() => []);
  const addresses = found.map((a) => a.address);
  if (addresses.length === 0) throw new UrlPolicyError(`Could not resolve ${host}.`, false);
  if (!allowed && addresses.some(isPrivateAddress)) throw refused(host);
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls.connect that refuses names resolving to addresses the policy forbids. */
export function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: dns.LookupOptions, cb: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '');
      const list = addresses;
      if (!hostAllowed(policy, hostname) && list.some((a) => isPrivateAddress(a.address))) {
        return cb(Object.assign(refused(hostname), { code: 'EURLPOLICY' }), '');
      }
      if (options.all) return cb(null, list);
      const first = list[0];
      if (!first) return cb(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      cb(null, first.address, first.family);
    });
  };
}

export interface FetchAllowedOptions {
  policy: UrlPolicy;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  method?: string;
  body?: string | Buffer;
  /** Redirects followed (each target checked like the first URL); 0 refuses any. */
  maxRedirects?: number;
}

export interface AllowedResponse {
  response: Response;
  /** Releases the connection pool; call it once the body is read (or abandoned). */
  close(): Promise<void>;
}

/**
 * fetch() for tenant-given URLs: http(s) only, every hop checked, connections made only to
 * allowed addresses. Network failures become a UrlPolicyError that says only that the URL could
 * not be reached (not which address or service answered, or how).
 */
export async function fetchAllowed(input: string, opts: FetchAllowedOptions): Promise<AllowedResponse> {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(opts.policy) } });
  const close = () => dispatcher.close().catch(() => {});
  try {
    let url = checkUrl(input, opts.policy);
    const maxRedirects = opts.maxRedirects ?? 5;
    for (let hop = 0; ; hop++) {
      let response: Response;
      try {
        response = await undiciFetch(url, {
          method: hop === 0 ? opts.method ?? 'GET' : 'GET', body: hop === 0 ? opts.body : undefined,
          headers: opts.headers, redirect: 'manual', signal: opts.signal, dispatcher,
        });
      } catch (err) {
        if (isPolicyRefusal(err)) throw refused(input);
        if (opts.signal?.aborted) throw new UrlPolicyError(`${input} did not answer in time.`, false);
        throw new UrlPolicyError(`Could not reach ${input}.`, false);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) return { response, close };
      await response.body?.cancel().catch(() => {});
      if (hop >= maxRedirects) throw new UrlPolicyError(`${input} redirects too often.`);
      try {
        url = checkUrl(new URL(location, url), opts.policy);
      } catch {
        throw new UrlPolicyError(`${input} redirects to a URL that is not allowed here.`);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
}

function isPolicyRefusal(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 'EURLPOLICY') return true;
    if (e instanceof AggregateError && e.errors.some(isPolicyRefusal)) return true;
  }
  return false;
}
