// Per-user quotas, so that one tenant cannot exhaust the platform for the others: apps owned,
// and builds under way at once (queued or running). Admins are not limited.
import type { Config } from '../../common/config.ts';
import { PaasError } from '../../common/errors.ts';
import type { Db } from '../store/db.ts';
import type { User } from '../store/types.ts';

export class LimitReachedError extends PaasError {
  constructor(message: string) { super('limit_reached', 422, message); }
}

const count = (db: Db, sql: string, id: string): number => Number((db.prepare(sql).get(id) as { n: number }).n);

export function checkAppLimit(db: Db, config: Config, user: User): void {
  if (user.admin) return;
  const owned = count(db, 'SELECT COUNT(*) AS n FROM apps WHERE owner_id = ?', user.id);
  if (owned >= config.maxAppsPerUser) {
    throw new LimitReachedError(`You own ${owned} apps, the most this platform allows per user (${config.maxAppsPerUser}): destroy one first, or ask an operator.`);
  }
}

export function checkBuildLimit(db: Db, config: Config, user: User | null): void {
  if (!user || user.admin) return;
  const running = count(db, "SELECT COUNT(*) AS n FROM builds WHERE user_id = ? AND status = 'pending'", user.id);
  if (running >= config.maxBuildsPerUser) {
    throw new LimitReachedError(`You have ${running} builds under way, the most this platform runs at once per user (${config.maxBuildsPerUser}): wait for one to finish.`);
  }
}
