// Heroku Platform API resources this platform does not have. A client written for Heroku (the
// Heroku CLI's pipelines, spaces, teams, telemetry drains, features …) gets one clear line naming the
// missing feature (501 not_implemented) instead of "No route for GET /pipelines".
import type { RequestHandler } from 'express';
import { PaasError } from '../../common/errors.ts';
import { notFound } from './errors.ts';

export class NotImplementedError extends PaasError {
  constructor(message: string) { super('not_implemented', 501, message); }
}

/** A path segment of a Heroku resource -> the feature, as a user knows it. */
const FEATURES: Record<string, string> = {
  'pipelines': 'pipelines', 'pipeline-couplings': 'pipelines', 'pipeline-promotions': 'pipelines', 'review-apps': 'review apps',
  'review-app-config': 'review apps', 'test-runs': 'Heroku CI', 'test-nodes': 'Heroku CI',
  'teams': 'teams', 'spaces': 'private spaces', 'enterprise-accounts': 'enterprise accounts',
  'telemetry-drains': 'telemetry drains', 'features': 'Heroku Labs features',
  'keys': 'SSH keys (git pushes use HTTPS with the API token)', 'stacks': 'stack selection (one stack)', 'regions': 'regions (one region: local)',
  'router-metrics': "Heroku's router metrics (`paas metrics` shows this platform's)", 'oci-images': 'OCI image deploys', 'slugs': 'slugs (builds are images)',
  'clients': 'OAuth clients', 'sessions': 'OAuth sessions', 'invitations': 'invitations', 'app-transfers': 'app transfers',
  'inbound-ruleset': 'private spaces', 'vpn-connections': 'private spaces', 'peerings': 'private spaces', 'data': 'Heroku Data',
  'client': 'Heroku Data', 'postgres': 'Heroku Postgres', 'redis': 'Heroku Key-Value Store', 'favorites': 'favorites',
  'notifications': 'notifications', 'pre-authorizations': 'two-factor authentication',
};

/** The last handler: a Heroku resource we do not serve is a 501 naming it, anything else a 404. */
export const notServed: RequestHandler = (req, _res, next) => {
  const segments = req.path.split('/').filter(Boolean);
  if (segments[0] === 'apps' || segments[0] === 'users') segments.splice(1, 1); // an app or user named like a feature
  const feature = segments.map((s) => FEATURES[s]).find(Boolean);
  if (!feature) return notFound(req, _res, next);
  next(new NotImplementedError(`This platform does not have ${feature}: ${req.method} ${req.path} is not served (a Heroku feature missing here).`));
};
