// App webhooks and their deliveries (Heroku's shapes are made in controller/http/webhooks.ts).
import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';

export interface Webhook {
  id: string; app_id: string; url: string; include: string[]; level: 'notify' | 'sync';
  secret: string; auth_header: string | null; created_at: string; updated_at: string;
}

export type DeliveryStatus = 'pending' | 'scheduled' | 'retrying' | 'failed' | 'succeeded';
export interface DeliveryAttempt { id: string; code: number | null; error_class: string | null; status: 'succeeded' | 'failed'; created_at: string; updated_at: string }

export interface Delivery {
  id: string; webhook_id: string; app_id: string; event_id: string; entity: string; action: string;
  payload: string; status: DeliveryStatus; num_attempts: number; next_attempt_at: string | null;
  last_attempt: DeliveryAttempt | null; created_at: string; updated_at: string;
}

type Row = Record<string, unknown>;
const toWebhook = (r: Row): Webhook => ({
  id: String(r.id), app_id: String(r.app_id), url: String(r.url), include: JSON.parse(String(r.include)) as string[],
  level: r.level === 'notify' ? 'notify' : 'sync', secret: String(r.secret), auth_header: r.auth_header === null ? null : String(r.auth_header),
  created_at: String(r.created_at), updated_at: String(r.updated_at),
});
const toDelivery = (r: Row): Delivery => ({
  id: String(r.id), webhook_id: String(r.webhook_id), app_id: String(r.app_id), event_id: String(r.event_id), entity: String(r.entity),
  action: String(r.action), payload: String(r.payload), status: r.status as DeliveryStatus, num_attempts: Number(r.num_attempts),
  next_attempt_at: r.next_attempt_at === null ? null : String(r.next_attempt_at),
  last_attempt: r.last_attempt === null ? null : JSON.parse(String(r.last_attempt)) as DeliveryAttempt,
  created_at: String(r.created_at), updated_at: String(r.updated_at),
});

export type NewWebhook = Pick<Webhook, 'app_id' | 'url' | 'include' | 'level' | 'secret' | 'auth_header'>;

export function insertWebhook(db: Db, w: NewWebhook): Webhook {
  const at = now();
  const hook: Webhook = { ...w, id: randomUUID(), created_at: at, updated_at: at };
  db.prepare('INSERT INTO webhooks (id, app_id, url, include, level, secret, auth_header, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(hook.id, hook.app_id, hook.url, JSON.stringify(hook.include), hook.level, hook.secret, hook.auth_header, at, at);
  return hook;
}

export function updateWebhook(db: Db, id: string, patch: Partial<NewWebhook>): void {
  const cur = findWebhook(db, id);
  if (!cur) return;
  const next = { ...cur, ...patch };
  db.prepare('UPDATE webhooks SET url = ?, include = ?, level = ?, secret = ?, auth_header = ?, updated_at = ? WHERE id = ?')
    .run(next.url, JSON.stringify(next.include), next.level, next.secret, next.auth_header, now(), id);
}

export function findWebhook(db: Db, id: string): Webhook | null {
  const row = db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as Row | undefined;
  return row ? toWebhook(row) : null;
}

export function listWebhooks(db: Db, appId: string): Webhook[] {
  return (db.prepare('SELECT * FROM webhooks WHERE app_id = ? ORDER BY created_at').all(appId) as Row[]).map(toWebhook);
}

/** Apps that have at least one webhook, with the entities any of them wants. */
export function appsWithWebhooks(db: Db): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of db.prepare('SELECT app_id, include FROM webhooks').all() as Row[]) {
    const set = out.get(String(r.app_id)) ?? new Set<string>();
    for (const e of JSON.parse(String(r.include)) as string[]) set.add(e);
    out.set(String(r.app_id), set);
  }
  return out;
}

export function removeWebhook(db: Db, id: string): void {
  db.prepare('DELETE FROM webhooks WHERE id = ?').run(id);
}

export function insertDelivery(db: Db, d: Pick<Delivery, 'webhook_id' | 'app_id' | 'event_id' | 'entity' | 'action' | 'payload'>): Delivery {
  const at = now();
  const delivery: Delivery = { ...d, id: randomUUID(), status: 'pending', num_attempts: 0, next_attempt_at: at, last_attempt: null, created_at: at, updated_at: at };
  db.prepare(`INSERT INTO webhook_deliveries (id, webhook_id, app_id, event_id, entity, action, payload, status, num_attempts, next_attempt_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`).run(delivery.id, d.webhook_id, d.app_id, d.event_id, d.entity, d.action, d.payload, at, at, at);
  return delivery;
}

export function recordAttempt(db: Db, id: string, r: { status: DeliveryStatus; attempt: DeliveryAttempt; nextAttemptAt: string | null }): void {
  db.prepare('UPDATE webhook_deliveries SET status = ?, num_attempts = num_attempts + 1, last_attempt = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?')
    .run(r.status, JSON.stringify(r.attempt), r.nextAttemptAt, now(), id);
}

export function dueDeliveries(db: Db, at: string, limit: number): Delivery[] {
  return (db.prepare(`SELECT * FROM webhook_deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
    .all(at, limit) as Row[]).map(toDelivery);
}

/** Removes finished deliveries created before `before` (ISO time). */
export function pruneDeliveries(db: Db, before: string): number {
  return Number(db.prepare(`DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND created_at < ?`).run(before).changes);
}

export function findDelivery(db: Db, appId: string, id: string): Delivery | null {
  const row = db.prepare('SELECT * FROM webhook_deliveries WHERE id = ? AND app_id = ?').get(id, appId) as Row | undefined;
  return row ? toDelivery(row) : null;
}

export function listDeliveries(db: Db, appId: string, limit = 200): Delivery[] {
  return (db.prepare('SELECT * FROM webhook_deliveries WHERE app_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(appId, limit) as Row[]).map(toDelivery);
}
