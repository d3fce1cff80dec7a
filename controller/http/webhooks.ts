// App webhooks and their deliveries, Heroku's Platform API shapes (app-webhooks,
// app-webhook-deliveries). The secret that signs deliveries is returned once, in the
// Heroku-Webhook-Secret header of the create answer; it never appears in a body. The rules:
// services/app-webhooks.ts.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { createAppWebhooks, type Delivery, type Webhook } from '../services/app-webhooks.ts';
import type { App } from '../store/types.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { DeliverySchema, WebhookCreateBody, WebhookSchema, WebhookUpdateBody } from './schemas/webhooks.ts';

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
  const hooks = createAppWebhooks(deps);
  const fields = (body: Static<typeof WebhookUpdateBody>) => ({
    ...(body.url !== undefined ? { url: body.url } : {}),
    ...(body.include !== undefined ? { include: body.include } : {}),
    ...(body.level !== undefined ? { level: body.level } : {}),
    ...(body.secret !== undefined ? { secret: body.secret } : {}),
    ...(body.authorization !== undefined ? { auth_header: body.authorization } : {}),
  });

  r.get('/apps/:app/webhooks', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(hooks.list(app).map((w) => webhookJson(app, w)));
  });

  r.post('/apps/:app/webhooks', async (req, res) => {
    const app = appParam(deps, req, res);
    const body = req.body as Static<typeof WebhookCreateBody>;
    const w = await hooks.create(app, { ...fields(body), url: body.url, include: body.include });
    res.setHeader('heroku-webhook-secret', w.secret);
    res.status(201).json(webhookJson(app, w));
  });

  r.get('/apps/:app/webhooks/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(webhookJson(app, hooks.get(app, String(req.params.id))));
  });

  r.patch('/apps/:app/webhooks/:id', async (req, res) => {
    const app = appParam(deps, req, res);
    res.json(webhookJson(app, await hooks.update(app, String(req.params.id), fields(req.body as Static<typeof WebhookUpdateBody>))));
  });

  r.delete('/apps/:app/webhooks/:id', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(webhookJson(app, hooks.remove(app, String(req.params.id))));
  });

  r.get('/apps/:app/webhook-deliveries', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(hooks.deliveries(app).map((v) => deliveryJson(v.delivery, v.level)));
  });

  r.get('/apps/:app/webhook-deliveries/:id', (req, res) => {
    const app = appParam(deps, req, res);
    const v = hooks.delivery(app, String(req.params.id));
    res.json(deliveryJson(v.delivery, v.level));
  });

  return r;
}
