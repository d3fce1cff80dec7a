// Pure routing logic: validate a RouteTable from the controller, index it by Host, and pick
// backends round-robin. No I/O here; the router swaps a new RouteLookup in on every change.
import { backendKey } from '../common/route-acks.ts';
import type { AppRoute, Backend, RouteTable } from '../common/routes.ts';

export const EMPTY_TABLE: RouteTable = { version: 0, apps: [] };

export interface RouteLookup {
  readonly table: RouteTable;
  /** The route for a Host header value (any case, with or without port), or null. */
  find(host: string): AppRoute | null;
  /** The route of an app by name, or null. */
  app(name: string): AppRoute | null;
  /** "host:port" of every backend in the table. */
  readonly backendKeys: ReadonlySet<string>;
}

/**
 * Canonical form of a Host header: lowercase, port and one trailing dot removed.
 * Returns null when the value is missing or is not a plausible host name.
 */
export function normalizeHost(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0 || !/^(:\d{0,5})?$/.test(host.slice(end + 1))) return null;
    host = host.slice(0, end + 1);
    return /^\[[0-9a-f:.]+\]$/.test(host) ? host : null;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{0,5}$/.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253) return null;
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host) ? host : null;
}

export function buildLookup(table: RouteTable): RouteLookup {
  const byHost = new Map<string, AppRoute>();
  const byApp = new Map<string, AppRoute>();
  const backendKeys = new Set<string>();
  for (const route of table.apps) {
    byApp.set(route.app, route);
    for (const b of route.backends) backendKeys.add(backendKey(b));
    for (const raw of route.hosts) {
      const host = normalizeHost(raw);
      if (host !== null && !byHost.has(host)) byHost.set(host, route);
    }
  }
  return {
    table,
    backendKeys,
    app: (name) => byApp.get(name) ?? null,
    find(host) {
      // A Host already in canonical form (the usual case: no port, lower case) is a key as it is.
      const exact = byHost.get(host);
      if (exact !== undefined) return exact;
      const key = normalizeHost(host);
      return key === null ? null : byHost.get(key) ?? null;
    },
  };
}

/** Parses and checks the JSON the controller stores; throws on anything malformed. */
export function parseRouteTable(text: string): RouteTable {
  const data: unknown = JSON.parse(text);
  if (!isObject(data)) throw new Error('route table is not an object');
  if (!Number.isFinite(data.version)) throw new Error('route table has no numeric version');
  if (!Array.isArray(data.apps)) throw new Error('route table has no apps array');
  const apps = data.apps.map((app: unknown, i: number) => checkApp(app, i));
  return { version: data.version as number, apps };
}

function checkApp(app: unknown, i: number): AppRoute {
  const where = `route table app #${i}`;
  if (!isObject(app) || typeof app.app !== 'string' || app.app === '') throw new Error(`${where} has no name`);
  if (!Array.isArray(app.hosts) || !app.hosts.every((h) => typeof h === 'string')) {
    throw new Error(`${where} (${app.app}) has invalid hosts`);
  }
  if (!Array.isArray(app.backends) || !app.backends.every(isBackend)) {
    throw new Error(`${where} (${app.app}) has invalid backends`);
  }
  if (typeof app.maintenance !== 'boolean') throw new Error(`${where} (${app.app}) has no maintenance flag`);
  return {
    app: app.app, hosts: app.hosts, backends: app.backends, maintenance: app.maintenance,
    ...(app.redirectHttps === true ? { redirectHttps: true } : {}), ...(app.hsts === true ? { hsts: true } : {}),
  };
}

function isBackend(b: unknown): b is Backend {
  return isObject(b) && typeof b.dyno === 'string' && typeof b.host === 'string' && b.host !== ''
    && Number.isInteger(b.port) && (b.port as number) > 0 && (b.port as number) < 65536
    && typeof b.release === 'number';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface Balancer {
  /** Next backend for this app, round-robin, skipping backends that just refused a connection
   *  (unless all of them did); null when it has none. */
  pick(route: AppRoute): Backend | null;
  /** Next backend for this app that is not `not` (by host and port), for a retry; or null. */
  pickOther(route: AppRoute, not: Backend): Backend | null;
  /** A connection to this backend failed: leave it out of picks for a moment (until the
   *  controller's next table says what became of it). */
  eject(backend: Backend): void;
  /** Drops round-robin positions of apps that are no longer routed. */
  retain(apps: Iterable<string>): void;
}

/** How long a backend that refused a connection is left out of the rotation. */
export const EJECT_MS = 2000;

export function createBalancer(now: () => number = Date.now): Balancer {
  const cursors = new Map<string, number>();
  const ejected = new Map<string, number>();
  const usable = (candidates: Backend[]): Backend[] => {
    if (ejected.size === 0) return candidates;
    const t = now();
    const ok = candidates.filter((b) => {
      const until = ejected.get(backendKey(b));
      if (until === undefined) return true;
      if (until > t) return false;
      ejected.delete(backendKey(b));
      return true;
    });
    return ok.length ? ok : candidates;
  };
  const rotate = (app: string, candidates: Backend[]): Backend | null => {
    if (candidates.length === 0) return null;
    const i = (cursors.get(app) ?? 0) % candidates.length;
    cursors.set(app, (i + 1) % candidates.length);
    return candidates[i];
  };
  return {
    pick: (route) => rotate(route.app, usable(route.backends)),
    pickOther: (route, not) =>
      rotate(route.app, usable(route.backends.filter((b) => b.host !== not.host || b.port !== not.port))),
    eject(backend) { ejected.set(backendKey(backend), now() + EJECT_MS); },
    retain(apps) {
      const keep = new Set(apps);
      for (const app of cursors.keys()) if (!keep.has(app)) cursors.delete(app);
    },
  };
}
