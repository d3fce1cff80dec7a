// Custom domains of apps. A hostname belongs to at most one app, compared in its normalized form
// (lowercase, no trailing dot: what the router matches), and is never an IP address or one of
// the platform's own names (common/hostname.ts). Who may claim which names beyond that is the
// operator's choice: PAAS_CUSTOM_DOMAIN_SUFFIXES (docs/operations.md).
import type { Config } from '../../common/config.ts';
import { ConflictError, InvalidParamsError } from '../../common/errors.ts';
import { domainPolicyOf, hostnameProblem, normalizeHostname } from '../../common/hostname.ts';
import type { Db } from '../store/db.ts';
import { addDomain, findDomain, type Domain } from '../store/domains.ts';
import type { App } from '../store/types.ts';

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
    if (/UNIQUE constraint failed/.test((err as Error).message)) throw taken();
    throw err;
  }
}
