// Log drain URLs: tenant-given, so hostile. Three kinds, as Heroku's: `syslog+tcp://host:port`,
// `syslog+tls://host:port` (RFC 5424 frames, octet counting) and `https://…` (Logplex batches).
// The platform's address policy applies (common/url-policy.ts): no loopback, private,
// link-local or metadata address unless the operator allows it, checked here for IP literals
// and again on the resolved addresses at every connection (drain-transports.ts).
// An https URL may carry credentials (`https://user:secret@host/…`, sent as Basic auth) and
// query tokens: they are kept in the store only and redacted wherever a URL is shown or logged.
import net from 'node:net';
import { UrlPolicyError, isPrivateAddress, urlHost, type UrlPolicy } from '../../common/url-policy.ts';

export const DRAIN_PROTOCOLS = ['syslog+tcp:', 'syslog+tls:', 'https:'] as const;
export type DrainProtocol = typeof DRAIN_PROTOCOLS[number];

/** Longest drain URL accepted (bytes). */
export const MAX_DRAIN_URL_LENGTH = 1024;

const allowedHost = (policy: UrlPolicy, host: string): boolean =>
  policy.allowPrivate || (policy.allowHosts ?? []).includes(host.toLowerCase().replace(/\.$/, ''));

const refused = (shown: string): UrlPolicyError =>
  new UrlPolicyError(`${shown} points at a loopback, private or reserved address, which this platform does not reach (an operator can allow it with PAAS_ALLOW_PRIVATE_URLS=1).`);

/** The URL with its password and query values replaced by `****`. */
export function redactDrainUrl(input: string): string {
  let url: URL;
  try { url = new URL(input); } catch { return '(not a URL)'; }
  if (url.password) url.password = '****';
  if (url.search) {
    const redacted = new URLSearchParams();
    for (const key of url.searchParams.keys()) redacted.set(key, '****');
    url.search = redacted.toString().replaceAll('%2A', '*');
  }
  return url.toString();
}

/** A drain URL, checked: scheme, length, host and port, no private IP literal or localhost. */
export function checkDrainUrl(input: string, policy: UrlPolicy): URL {
  if (input.length > MAX_DRAIN_URL_LENGTH) throw new UrlPolicyError(`A drain URL may have at most ${MAX_DRAIN_URL_LENGTH} characters.`);
  let url: URL;
  try { url = new URL(input); } catch { throw new UrlPolicyError('The drain URL is not a URL: use syslog+tls://host:port, syslog+tcp://host:port or https://host/path.'); }
  const shown = redactDrainUrl(input);
  if (!(DRAIN_PROTOCOLS as readonly string[]).includes(url.protocol)) {
    throw new UrlPolicyError(`${url.protocol}// drains are not supported: use syslog+tls://host:port, syslog+tcp://host:port or https://host/path.`);
  }
  const host = urlHost(url);
  if (host === '') throw new UrlPolicyError(`${shown} has no host.`);
  if (url.protocol !== 'https:') {
    if (url.port === '') throw new UrlPolicyError(`${shown} has no port: a syslog drain is host:port.`);
    if (url.username || url.password) throw new UrlPolicyError('A syslog drain URL cannot carry credentials.');
  }
  if (!allowedHost(policy, host)) {
    if (net.isIP(host) && isPrivateAddress(host)) throw refused(shown);
    if (host === 'localhost' || host.endsWith('.localhost')) throw refused(shown);
  }
  return url;
}

/** The port a drain connects to. */
export const drainPort = (url: URL): number => Number(url.port || 443);
