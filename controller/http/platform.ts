// GET /platform/status (admin only): services/platform-status.ts.
import { Router } from 'express';
import { ForbiddenError } from '../../common/errors.ts';
import { createPlatformStatus } from '../services/platform-status.ts';
import { currentUser } from './auth.ts';
import type { ApiDeps } from './deps.ts';

export function platformRouter(deps: ApiDeps): Router {
  const r = Router();
  const status = deps.platformStatus ?? createPlatformStatus({ redis: deps.redis, config: deps.config, scheduler: deps.scheduler });
  r.get('/platform/status', async (_req, res) => {
    if (!currentUser(res).admin) throw new ForbiddenError('Only admins can see the platform status.');
    res.json(await status());
  });
  return r;
}
