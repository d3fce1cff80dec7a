// Decides where a request goes: an app's backend, or one of the router's own error pages.
import type { AppRoute, Backend } from '../common/routes.ts';
import type { PageKind } from './error-pages.ts';
import { normalizeHost, type Balancer, type RouteLookup } from './route-table.ts';

export type Resolution =
  | { kind: 'page'; page: PageKind; route: AppRoute | null }
  | { kind: 'proxy'; route: AppRoute; backend: Backend };

export function resolve(lookup: RouteLookup, balancer: Balancer, hostHeader: string | undefined): Resolution {
  const route = hostHeader === undefined ? null : lookup.find(hostHeader);
  if (route === null) {
    return normalizeHost(hostHeader) === null
      ? { kind: 'page', page: 'bad-request', route: null }
      : { kind: 'page', page: 'no-such-app', route: null };
  }
  if (route.maintenance) return { kind: 'page', page: 'maintenance', route };
  const backend = balancer.pick(route);
  if (backend === null) return { kind: 'page', page: 'no-web-processes', route };
  return { kind: 'proxy', route, backend };
}

/** Turns an absolute-form request target ("GET http://host/path") into origin form; its host wins (RFC 9112 §3.2.2). */
export function originForm(req: { url?: string; headers: { host?: string } }): void {
  const url = req.url ?? '';
  if (url.charCodeAt(0) === 47 || !/^https?:\/\//i.test(url)) return; // "/…": origin form already
  try {
    const parsed = new URL(url);
    req.headers.host = parsed.host;
    req.url = `${parsed.pathname}${parsed.search}`;
  } catch {
    req.headers.host = undefined;
  }
}
