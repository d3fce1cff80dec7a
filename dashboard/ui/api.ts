// The dashboard's one way to the API: /dashboard/api/* with the session cookie (HttpOnly: this
// code never sees it, nor the API token behind it) and, for a change, the CSRF token from the page.
const meta = (name: string): HTMLMetaElement | null => document.querySelector(`meta[name="${name}"]`);

export const csrfToken = (): string => meta('csrf-token')?.content ?? '';
export const me = (): { email: string; admin: boolean } => ({ email: meta('paas-user')?.content ?? '', admin: meta('paas-user')?.dataset.admin === 'true' });

export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) { super(message); this.status = status; }
}

export const apiUrl = (path: string): string => `/dashboard/api${path}`;

/** Fired on window after a change succeeded. */
export const CHANGED = 'paas:changed';

/** Sends a session that ended back to the login page. */
function loggedOut(): never {
  location.assign('/dashboard/');
  throw new ApiError('Your dashboard session ended.', 401);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  const res = await fetch(apiUrl(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 401) loggedOut();
  const text = await res.text();
  const data = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as unknown : text;
  if (!res.ok) throw new ApiError((data as { message?: string } | null)?.message ?? `${res.status} ${res.statusText}`, res.status);
  // A change (scale, rollback) shows everywhere at once: every loaded view reloads (hooks.ts).
  if (method !== 'GET') dispatchEvent(new Event(CHANGED));
  return data as T;
}

export async function logout(): Promise<void> {
  await fetch('/dashboard/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken() }, credentials: 'same-origin' });
  location.assign('/dashboard/');
}
