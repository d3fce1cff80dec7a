// Custom domain validation: a fully qualified DNS name the router can match on the Host header.

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function hostnameProblem(hostname: unknown, platformDomain: string): string | null {
  if (typeof hostname !== 'string') return 'hostname must be a string.';
  const h = hostname.toLowerCase();
  if (h !== hostname) return `Hostname ${hostname} must be lowercase.`;
  if (h.length > 253) return 'Hostname is longer than 253 characters.';
  const labels = h.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return `${hostname} is not a valid hostname (e.g. www.example.com).`;
  if (h === platformDomain || h.endsWith(`.${platformDomain}`)) return `${hostname} is under the platform domain ${platformDomain}, which is reserved for app names.`;
  return null;
}
