// How routers tell the controller which route table they use and what they still have in
// flight to backends that left it. Each router process writes its own key (refreshed every
// few seconds, with an expiry, so a router that died drops out by itself) and adds its id to
// a set. The controller waits on these before it stops a dyno (docs/zero-downtime.md).

export interface RouterAck {
  /** Version of the route table the router is using. */
  version: number;
  /** Requests in flight to backends ("host:port") that are not in that table. */
  draining: Record<string, number>;
}


/** A router's key lives this long unless refreshed (refreshed every third of it). */
export const ROUTER_ACK_TTL_MS = 6000;

export const backendKey = (b: { host: string; port: number }): string => `${b.host}:${b.port}`;

export function parseRouterAck(text: string | null): RouterAck | null {
  if (text === null) return null;
  try {
    const data = JSON.parse(text) as Partial<RouterAck>;
    if (typeof data.version !== 'number' || typeof data.draining !== 'object' || data.draining === null) return null;
    return { version: data.version, draining: data.draining };
  } catch {
    return null;
  }
}
