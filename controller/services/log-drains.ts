// An app's log drains, as the API manages them: at most `maxLogDrains` per app, one of three
// URL kinds (drain-url.ts), never a loopback/private/metadata address unless the operator allows
// it (checked on the IP literal and on what the name resolves to now; the shipper checks again
// at every connection). The new drain's cursor is the stream's end: it gets lines from now on.
// Shipping them: drain-shipper.ts.
import type { Redis } from 'ioredis';
import type { Config } from '../../common/config.ts';
import { ConflictError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { appLogKey, drainCursorsKey } from '../../common/redis-keys.ts';
import { resolveAllowed, urlHost, urlPolicyOf } from '../../common/url-policy.ts';
import type { Db } from '../store/db.ts';
import { insertLogDrain, listLogDrains, removeLogDrain, type LogDrain } from '../store/log-drains.ts';
import type { App } from '../store/types.ts';
import { checkDrainUrl, redactDrainUrl } from './drain-url.ts';

export type { LogDrain } from '../store/log-drains.ts';

export function createLogDrains(deps: { db: Db; config: Config; redis: Redis }) {
  const { db, config, redis } = deps;

  /** By id, token or URL (as given, or as shown redacted). */
  const get = (app: App, ref: string): LogDrain => {
    const d = listLogDrains(db, app.id).find((x) => x.id === ref || x.token === ref || x.url === ref || redactDrainUrl(x.url) === ref);
    if (!d) throw new NotFoundError(`Couldn't find that log drain on ${app.name}.`);
    return d;
  };

  return {
    list: (app: App): LogDrain[] => listLogDrains(db, app.id),
    get,
    async create(app: App, input: string): Promise<LogDrain> {
      const policy = urlPolicyOf(config);
      const url = checkDrainUrl(input.trim(), policy);
      const existing = listLogDrains(db, app.id);
      if (existing.length >= config.maxLogDrains) throw new InvalidParamsError(`${app.name} has ${config.maxLogDrains} log drains, the most an app may have.`);
      if (existing.some((d) => d.url === input.trim())) throw new ConflictError(`${redactDrainUrl(input.trim())} is already a log drain of ${app.name}.`);
      await resolveAllowed(urlHost(url), policy);
      const [last] = await redis.xrevrange(appLogKey(config.redisPrefix, app.name), '+', '-', 'COUNT', 1);
      const drain = insertLogDrain(db, { app_id: app.id, url: input.trim() });
      await redis.hset(drainCursorsKey(config.redisPrefix), drain.id, last?.[0] ?? '0-0');
      return drain;
    },
    remove(app: App, ref: string): LogDrain {
      const d = get(app, ref);
      removeLogDrain(db, d.id);
      return d;
    },
  };
}
export type LogDrains = ReturnType<typeof createLogDrains>;
