// The dashboard's cookies: read from the Cookie header, written scoped to the dashboard's path,
// HttpOnly, SameSite=Strict, and Secure when the dashboard is reached over HTTPS.
export const DASHBOARD_PATH = '/dashboard';

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** A Set-Cookie value; maxAgeSec 0 removes the cookie. */
export function cookie(name: string, value: string, opts: { maxAgeSec: number; secure: boolean }): string {
  return [`${name}=${value}`, `Path=${DASHBOARD_PATH}`, `Max-Age=${opts.maxAgeSec}`, 'HttpOnly', 'SameSite=Strict', ...(opts.secure ? ['Secure'] : [])].join('; ');
}
