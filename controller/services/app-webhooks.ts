// An app's webhook subscriptions and their deliveries, as its API routes manage them: at most
// MAX_WEBHOOKS per app, http(s) targets only and, unless the operator allows it, none on a
// loopback or private address (checked after DNS). Sending them: services/webhooks.ts.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../common/config.ts';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { checkUrl, resolveAllowed, urlHost, urlPolicyOf } from '../../common/url-policy.ts';
import type { Db } from '../store/db.ts';
import type { App } from '../store/types.ts';
import {
  findDelivery, findWebhook, insertWebhook, listDeliveries, listWebhooks, removeWebhook, updateWebhook, type Delivery, type NewWebhook, type Webhook,
} from '../store/webhooks.ts';

export type { Delivery, Webhook } from '../store/webhooks.ts';

/** Webhooks per app (Heroku: 10). */
export const MAX_WEBHOOKS = 10;

/** What a subscriber sets; `secret` is generated when absent. */
export type WebhookFields = Partial<Pick<NewWebhook, 'url' | 'include' | 'level' | 'secret' | 'auth_header'>>;

/** A delivery with the level of its webhook ("sync" once the webhook is gone). */
export interface DeliveryView { delivery: Delivery; level: Webhook['level'] }

export function createAppWebhooks(deps: { db: Db; config: Config }) {
  const { db, config } = deps;

  async function allowedUrl(url: string): Promise<string> {
    const policy = urlPolicyOf(config);
    const parsed = checkUrl(url, policy);
    await resolveAllowed(urlHost(parsed), policy);
    return parsed.toString();
  }

  const get = (app: App, id: string): Webhook => {
    const w = findWebhook(db, id);
    if (!w || w.app_id !== app.id) throw new NotFoundError(`Couldn't find webhook ${id} on ${app.name}.`);
    return w;
  };

  const view = (delivery: Delivery): DeliveryView => ({ delivery, level: findWebhook(db, delivery.webhook_id)?.level ?? 'sync' });

  return {
    list: (app: App): Webhook[] => listWebhooks(db, app.id),
    get,
    /** The new webhook; its secret is returned once, here. */
    async create(app: App, f: WebhookFields & Pick<NewWebhook, 'url' | 'include'>): Promise<Webhook> {
      if (listWebhooks(db, app.id).length >= MAX_WEBHOOKS) throw new InvalidParamsError(`${app.name} has ${MAX_WEBHOOKS} webhooks, the most an app may have.`);
      const url = await allowedUrl(f.url);
      const secret = f.secret ?? randomBytes(24).toString('hex');
      return insertWebhook(db, { app_id: app.id, url, include: f.include, level: f.level ?? 'sync', secret, auth_header: f.auth_header ?? null });
    },
    async update(app: App, id: string, f: WebhookFields): Promise<Webhook> {
      const w = get(app, id);
      const patch: Partial<NewWebhook> = {};
      if (f.url !== undefined) patch.url = await allowedUrl(f.url);
      if (f.include !== undefined) patch.include = f.include;
      if (f.level !== undefined) patch.level = f.level;
      if (f.secret !== undefined) patch.secret = f.secret;
      if (f.auth_header !== undefined) patch.auth_header = f.auth_header;
      updateWebhook(db, w.id, patch);
      return get(app, w.id);
    },
    remove(app: App, id: string): Webhook {
      const w = get(app, id);
      removeWebhook(db, w.id);
      return w;
    },
    deliveries: (app: App): DeliveryView[] => listDeliveries(db, app.id).map(view),
    delivery(app: App, id: string): DeliveryView {
      const d = findDelivery(db, app.id, id);
      if (!d) throw new NotFoundError(`Couldn't find delivery ${id} on ${app.name}.`);
      return view(d);
    },
  };
}
export type AppWebhooks = ReturnType<typeof createAppWebhooks>;
