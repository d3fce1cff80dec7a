// Reads an API token from an Authorization header: "Bearer <token>", or HTTP Basic with the
// token as password (username ignored), which is what git and ~/.netrc send (as Heroku does).
export function tokenFromAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return null;
  if (/^bearer$/i.test(scheme)) return value.trim() || null;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password || null;
  }
  return null;
}
