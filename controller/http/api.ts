// The express app: Heroku-shaped REST API. Git smart-HTTP is served beside it (server.ts).
import express from 'express';
import { accountRouter } from './account.ts';
import { addonActionsRouter } from './addon-actions.ts';
import { addonsRouter } from './addons.ts';
import { appsRouter } from './apps.ts';
import { authenticate } from './auth.ts';
import { buildControlRouter } from './build-control.ts';
import { buildpacksRouter } from './buildpacks.ts';
import { buildsRouter } from './builds.ts';
import { certsRouter } from './certs.ts';
import { checksRouter } from './checks.ts';
import { configVarsRouter } from './config-vars.ts';
import { domainsRouter } from './domains.ts';
import { dynosRouter } from './dynos.ts';
import { formationRouter } from './formation.ts';
import type { ApiDeps } from './deps.ts';
import { errorHandler, notFound } from './errors.ts';
import { internalPushRouter } from './internal-push.ts';
import { logsRouter } from './logs.ts';
import { nodesRouter } from './nodes.ts';
import { openapiDocument } from './openapi.ts';
import { createRequestLimits, rateLimit } from './rate-limit.ts';
import { releasesRouter } from './releases.ts';
import { routeSpecs } from './schemas/index.ts';
import { sourceBlobRouter, sourcesRouter } from './sources.ts';
import { createSourceStore } from '../services/sources.ts';
import { observeResponses, validateRequests } from './validate.ts';
import { webhooksRouter } from './webhooks.ts';

export function createApi(deps: ApiDeps): express.Express {
  const sources = deps.sources ?? createSourceStore({
    dataDir: deps.config.dataDir, secret: deps.hookSecret, maxBytes: () => deps.config.sourceMaxBytes, ttlSec: () => deps.config.sourceUrlTtl,
  });
  const limits = deps.limits ?? createRequestLimits({ perHour: deps.config.apiRateLimit });
  const api = express();
  api.disable('x-powered-by');
  api.set('etag', false);
  if (deps.onResponse) api.use(observeResponses({ specs: routeSpecs, onResponse: deps.onResponse }));
  api.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  api.get('/openapi.json', (_req, res) => { res.json(openapiDocument()); });
  api.use(internalPushRouter({ ...deps, limits }));
  api.use(sourceBlobRouter(sources));
  api.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  api.use(authenticate(deps.db, limits));
  api.use(rateLimit(limits));
  api.use(validateRequests({ specs: routeSpecs, db: deps.db }));
  api.use(accountRouter(deps));
  api.use(appsRouter(deps));
  api.use(releasesRouter(deps));
  api.use(buildsRouter({ ...deps, sources }));
  api.use(sourcesRouter({ ...deps, sources }));
  api.use(buildControlRouter(deps));
  api.use(buildpacksRouter(deps));
  api.use(configVarsRouter(deps));
  api.use(formationRouter(deps));
  api.use(dynosRouter(deps));
  api.use(domainsRouter(deps));
  api.use(checksRouter(deps));
  api.use(certsRouter(deps));
  api.use(logsRouter(deps));
  api.use(nodesRouter(deps));
  api.use(webhooksRouter(deps));
  api.use(addonsRouter(deps));
  api.use(addonActionsRouter(deps));
  api.use(notFound);
  api.use(errorHandler(deps.logError));
  return api;
}
