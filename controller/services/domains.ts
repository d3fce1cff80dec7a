// Custom domains of apps. A hostname belongs to at most one app, compared in its normalized form
// (lowercase, no trailing dot: what the router matches), and is never an IP address or one of
// the platform's own names (common/hostname.ts). Who may claim which names beyond that is the
// operator's choice: PAAS_CUSTOM_DOMAIN_SUFFIXES (docs/operations.md).
import type { Config } from '../../common/config.ts';
import { ConflictError, InvalidParamsError, NotFoundError, errorMessage } from '../../common/errors.ts';
import { domainPolicyOf, hostnameProblem, normalizeHostname } from '../../common/hostname.ts';
import type { Db } from '../store/db.ts';
import { addDomain, findDomain, listDomains, removeDomain, type Domain } from '../store/domains.ts';
import type { App } from '../store/types.ts';
import type { RoutePublisher } from './route-publisher.ts';

export interface DomainService {
  list(app: App): Domain[];
  /** Adds a custom domain (checked as above); resolves once the routers answer it. */
  add(app: App, hostname: unknown): Promise<Domain>;
  /** Removes one (404 if the app has no such domain); resolves once the routers dropped it. */
  remove(app: App, hostname: string): Promise<string>;
}

export function createDomainService(deps: { db: Db; config: Config; routes: RoutePublisher }): DomainService {
  const { db, config, routes } = deps;
  return {
    list: (app) => listDomains(db, app.id),
    async add(app, input) {
      const d = addCustomDomain(db, config, app, input);
      await routes.sync();
      return d;
    },
    async remove(app, input) {
      const hostname = normalizeHostname(input);
      if (!removeDomain(db, app.id, hostname)) throw new NotFoundError(`Couldn't find domain ${hostname} on ${app.name}.`);
      await routes.sync();
      return hostname;
    },
  };
}

export function addCustomDomain(db: Db, config: Config, app: App, input: unknown): Domain {
  if (typeof input !== 'string') throw new InvalidParamsError('hostname must be a string.');
  const hostname = normalizeHostname(input);
  const problem = hostnameProblem(hostname, domainPolicyOf(config));
  if (problem) throw new InvalidParamsError(problem);
  const taken = (): ConflictError => new ConflictError(`${hostname} is already in use by an app.`);
  if (findDomain(db, hostname)) throw taken();
  try {
    return addDomain(db, app.id, hostname);
  } catch (err) {
    // Another request added it meanwhile (UNIQUE(hostname)).
    if (/UNIQUE constraint failed/.test(errorMessage(err))) throw taken();
    throw err;
  }
}
