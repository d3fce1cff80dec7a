// Every API route's contract. A new route adds its spec here (see docs/api-schemas.md); the
// tests fail for a served route without one.
import { accountRoutes } from './account.ts';
import { addonsRoutes } from './addons.ts';
import { appsRoutes } from './apps.ts';
import { buildsRoutes } from './builds.ts';
import type { RouteSpec } from './common.ts';
import { configVarsRoutes } from './config-vars.ts';
import { domainsRoutes } from './domains.ts';
import { dynosRoutes } from './dynos.ts';
import { formationRoutes } from './formation.ts';
import { logDrainsRoutes } from './log-drains.ts';
import { logSessionsRoutes } from './log-sessions.ts';
import { metaRoutes } from './meta.ts';
import { metricsRoutes } from './metrics.ts';
import { nodesRoutes } from './nodes.ts';
import { platformRoutes } from './platform.ts';
import { releasesRoutes } from './releases.ts';
import { sourcesRoutes } from './sources.ts';
import { webhooksRoutes } from './webhooks.ts';

export const routeSpecs: RouteSpec[] = [
  ...metaRoutes,
  ...accountRoutes,
  ...appsRoutes,
  ...configVarsRoutes,
  ...releasesRoutes,
  ...buildsRoutes,
  ...sourcesRoutes,
  ...formationRoutes,
  ...dynosRoutes,
  ...domainsRoutes,
  ...nodesRoutes,
  ...platformRoutes,
  ...webhooksRoutes,
  ...addonsRoutes,
  ...logSessionsRoutes,
  ...logDrainsRoutes,
  ...metricsRoutes,
];

export type { RouteSpec } from './common.ts';
