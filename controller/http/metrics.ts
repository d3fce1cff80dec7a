// GET /apps/:app/metrics (schemas/metrics.ts, services/metrics.ts).
import { Router } from 'express';
import { InvalidParamsError } from '../../common/errors.ts';
import { readMetrics } from '../services/metrics.ts';
import { appParam, type ApiDeps } from './deps.ts';

const STEPS: Record<string, number> = { 60: 60, 600: 600, '1m': 60, '10m': 600 };

export function metricsRouter(deps: ApiDeps): Router {
  const r = Router();
  r.get('/apps/:app/metrics', async (req, res) => {
    const app = appParam(deps, req, res);
    const step = STEPS[String(req.query.resolution ?? '60')];
    const sinceMs = req.query.since === undefined ? Date.now() - 3600_000 : Date.parse(String(req.query.since));
    if (Number.isNaN(sinceMs)) throw new InvalidParamsError('since: not a date-time');
    res.json(await readMetrics(deps.redis, deps.config.redisPrefix, app.name, { step, sinceMs }));
  });
  return r;
}
