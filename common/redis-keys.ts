// Every Redis key and channel the platform uses, in one place (as BullMQ's queue-keys): the
// controller, the builder and the router meet through these. All of them start with the
// configured prefix (PAAS_REDIS_PREFIX), so one Redis can serve several platforms or tests.
//
//   <p>:routes:table            string   the whole route table, JSON (common/routes.ts)
//   <p>:routes:changed          channel  a route table was published (its version)
//   <p>:routes:version          counter  orders tables made in the same millisecond
//   <p>:routes:routers          set      ids of the live router processes
//   <p>:routes:router:<id>      string   one router's ack: table version + draining (route-acks.ts)
//   <p>:tls:certs               string   the certificate bundle, JSON (common/tls.ts)
//   <p>:tls:changed             channel  a certificate bundle was published
//   <p>:acme:http01:<token>     string   key authorization of a pending ACME HTTP-01 challenge
//   <p>:applog:<app>            stream   platform log lines of an app (common/app-log.ts)
//   <p>:dynologs:cursors        hash     per dyno (container/service id): time of its last line in the app log
//   <p>:drains:cursors          hash     per log drain: stream id of the last line delivered
//   <p>:drains:stats            hash     per log drain: counters, JSON (sent, dropped, buffered)
//   <p>:build:<id>:log          stream   a build's log (common/build-log.ts)
//   <p>:build:<id>:cancel       string   a cancel request a build not yet started sees
//   <p>:build-cancel            channel  cancel requests (build ids) for running builds
//   <p>:builds:*                         BullMQ's own keys of the build queue
//   <p>:dashboard:session:<sha256>       string   a dashboard session (controller/dashboard/sessions.ts)

/** BullMQ queue of builds (its keys are `<prefix>:builds:*`). */
export const buildQueueName = 'builds';

export const routeTableKey = (prefix: string): string => `${prefix}:routes:table`;
export const routeChannel = (prefix: string): string => `${prefix}:routes:changed`;
export const routeVersionKey = (prefix: string): string => `${prefix}:routes:version`;
export const routerSetKey = (prefix: string): string => `${prefix}:routes:routers`;
export const routerAckKey = (prefix: string, id: string): string => `${prefix}:routes:router:${id}`;

export const certBundleKey = (prefix: string): string => `${prefix}:tls:certs`;
export const certChannel = (prefix: string): string => `${prefix}:tls:changed`;
export const acmeChallengeKey = (prefix: string, token: string): string => `${prefix}:acme:http01:${token}`;

export const appLogKey = (prefix: string, app: string): string => `${prefix}:applog:${app}`;

export const buildLogKey = (prefix: string, buildId: string): string => `${prefix}:build:${buildId}:log`;
export const buildCancelKey = (prefix: string, buildId: string): string => `${prefix}:build:${buildId}:cancel`;
export const buildCancelChannel = (prefix: string): string => `${prefix}:build-cancel`;

/** Metrics ring buffers of an app (common/metrics-ring.ts): `source` "router" or "dynos",
 *  `step` the resolution in seconds (60 or 600). */
export const metricsKey = (prefix: string, app: string, source: string, step: number): string => `${prefix}:metrics:${app}:${source}:${step}`;
/** The dyno collector's latest sample of every dyno (common/dyno-usage.ts), for Prometheus. */
export const dynoUsageKey = (prefix: string): string => `${prefix}:metrics:dynos-latest`;

/** Log drains (controller/services/drain-shipper.ts): per drain id, the stream id of the last
 *  line delivered (a restarted paasd resumes after it), and its counters as JSON (Prometheus). */
export const drainCursorsKey = (prefix: string): string => `${prefix}:drains:cursors`;
export const drainStatsKey = (prefix: string): string => `${prefix}:drains:stats`;

/** A dashboard session, by the SHA-256 (hex) of its id (controller/dashboard/sessions.ts). */
export const dashboardSessionKey = (prefix: string, idHash: string): string => `${prefix}:dashboard:session:${idHash}`;
/** Per dyno id, the time of the last output line paasd appended to its app log
 *  (controller/services/dyno-output.ts). */
export const dynoOutputCursorsKey = (prefix: string): string => `${prefix}:dynologs:cursors`;
