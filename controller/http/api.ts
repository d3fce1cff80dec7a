// The express app: Heroku-shaped REST API. Git smart-HTTP is served beside it (server.ts).
import express from 'express';
import { accountRouter } from './account.ts';
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
import { openapiDocument } from './openapi.ts';
import { rateLimit } from './rate-limit.ts';
import { releasesRouter } from './releases.ts';

export function createApi(deps: ApiDeps): express.Express {
  const api = express();
  api.disable('x-powered-by');
  api.set('etag', false);
  api.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  api.get('/openapi.json', (_req, res) => { res.json(openapiDocument()); });
  api.use(internalPushRouter(deps));
  api.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  api.use(authenticate(deps.db));
  api.use(rateLimit({ perHour: deps.config.apiRateLimit }));
  api.use(accountRouter(deps));
  api.use(appsRouter(deps));
  api.use(releasesRouter(deps));
  api.use(buildsRouter(deps));
  api.use(buildControlRouter(deps));
  api.use(buildpacksRouter(deps));
  api.use(configVarsRouter(deps));
  api.use(formationRouter(deps));
  api.use(dynosRouter(deps));
  api.use(domainsRouter(deps));
  api.use(checksRouter(deps));
  api.use(certsRouter(deps));
  api.use(logsRouter(deps));
  api.use(notFound);
  api.use(errorHandler(deps.logError));
  return api;
}
