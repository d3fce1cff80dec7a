// App webhooks and their deliveries, Heroku's Platform API shapes (app-webhooks,
// app-webhook-deliveries). The secret that signs deliveries is returned once, in the
// Heroku-Webhook-Secret header of the create answer; it never appears in a body.
import { randomBytes } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { checkUrl, resolveAllowed, urlHost, urlPolicyOf } from '../../common/url-policy.ts';
import type { App } from '../store/types.ts';
import {
  findDelivery, findWebhook, insertWebhook, listDeliveries, listWebhooks, removeWebhook, updateWebhook, type Delivery, type Webhook,
} from '../store/webhooks.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { DeliverySchema, WebhookCreateBody, WebhookSchema, WebhookUpdateBody } from './schemas/webhooks.ts';

/** Webhooks per app (Heroku: 10). */
export const MAX_WEBHOOKS = 10;

const webhookJson = (app: App, w: Webhook): Static<typeof WebhookSchema> => ({
  id: w.id, app: { id: app.id, name: app.name }, include: w.include as Static<typeof WebhookSchema>['include'], level: w.level, url: w.url, created_at: w.created_at, updated_at: w.updated_at,
});

const deliveryJson = (d: Delivery, level: Webhook['level']): Static<typeof DeliverySchema> => ({
  id: d.id,
  event: { id: d.event_id, include: d.entity as Static<typeof DeliverySchema>['event']['include'], action: d.action },
  webhook: { id: d.webhook_id, level },
  status: d.status,
  num_attempts: d.num_attempts,
  next_attempt_at: d.next_attempt_at,
  last_attempt: d.last_attempt,
  created_at: d.created_at,
  updated_at: d.updated_at,
});

export function webhooksRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db, config } = deps;

  /** http(s) only, and no loopback/private target (after DNS) unless the operator allows it. */
  async function allowedUrl(url: string): Promise<string> {
    const policy = urlPolicyOf(config);
    const parsed = checkUrl(url, policy);
    await resolveAllowed(urlHost(parsed), policy);
    return parsed.toString();
  }

  const hookOf = (app: App, id: string): Webhook => {
    const w = findWebhook(db, id);
    if (!w || w.app_id !== app.id) throw new NotFoundError(`Couldn't find webhook ${id} on ${app.name}.`);
    return w;
  };

  r.get('/apps/:app/webhooks', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listWebhooks(db, app.id).map((w) => webhookJson(app, w)));
  });

  r.post('/apps/:app/webhooks', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof WebhookCreateBody>;
    if (listWebhooks(db, app.id).length >= MAX_WEBHOOKS) throw new InvalidParamsError(`${app.name} has ${MAX_WEBHOOKS} webhooks, the most an app may have.`);
    const url = await allowedUrl(body.url);
    const secret = body.secret ?? randomBytes(24).toString('hex');
    const w = insertWebhook(db, { app_id: app.id, url, include: body.include, level: body.level ?? 'sync', secret, auth_header: body.authorization ?? null });
    res.setHeader('heroku-webhook-secret', secret);
    res.status(201).json(webhookJson(app, w));
  });

  r.get('/apps/:app/webhooks/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(webhookJson(app, hookOf(app, String(req.params.id))));
  });

  r.patch('/apps/:app/webhooks/:id', async (req, res) => {
    const app = appParam(deps, req, res);
    const w = hookOf(app, String(req.params.id));
    const body = req.body as Static<typeof WebhookUpdateBody>;
    updateWebhook(db, w.id, {
      ...(body.url !== undefined ? { url: await allowedUrl(body.url) } : {}),
      ...(body.include !== undefined ? { include: body.include } : {}),
      ...(body.level !== undefined ? { level: body.level } : {}),
      ...(body.secret !== undefined ? { secret: body.secret } : {}),
      ...(body.authorization !== undefined ? { auth_header: body.authorization } : {}),
    });
    res.json(webhookJson(app, hookOf(app, w.id)));
  });

  r.delete('/apps/:app/webhooks/:id', (req, res) => {
    const app = appParam(deps, req, res);
    const w = hookOf(app, String(req.params.id));
    removeWebhook(db, w.id);
    res.json(webhookJson(app, w));
  });

  const levelOf = (id: string): Webhook['level'] => findWebhook(db, id)?.level ?? 'sync';

  r.get('/apps/:app/webhook-deliveries', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(listDeliveries(db, app.id).map((d) => deliveryJson(d, levelOf(d.webhook_id))));
  });

  r.get('/apps/:app/webhook-deliveries/:id', (req, res) => {
    const app = appParam(deps, req, res);
    const d = findDelivery(db, app.id, String(req.params.id));
    if (!d) throw new NotFoundError(`Couldn't find delivery ${req.params.id} on ${app.name}.`);
    res.json(deliveryJson(d, levelOf(d.webhook_id)));
  });

  return r;
}
