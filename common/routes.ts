// The route table the controller publishes and the router applies.
// Transport: the whole table is stored as JSON under routeTableKey(prefix) and a message is
// published on routeChannel(prefix) after every change; the router reads the key on start,
// on every message and on every Redis reconnect, so a missed message never leaves it stale.

export interface Backend {
  /** Dyno name, e.g. "web.1". */
  dyno: string;
  host: string;
  port: number;
  release: number;
}

export interface AppRoute {
  app: string;
  /** Every Host this app answers to: "<app>.<domain>" plus custom domains. Lowercase, no port. */
  hosts: string[];
  backends: Backend[];
  maintenance: boolean;
  /** Plain-HTTP requests get a 308 to the same URL over HTTPS (absent: false). */
  redirectHttps?: boolean;
  /** HTTPS responses carry Strict-Transport-Security (absent: false). */
  hsts?: boolean;
}

export interface RouteTable {
  /** Monotonic: a router ignores a table older than the one it has. */
  version: number;
  apps: AppRoute[];
}

