// App webhooks: notices of builds, releases, formation and dynos, posted to the subscribers'
// URLs in Heroku's shape, signed with each webhook's secret (Heroku-Webhook-Hmac-SHA256:
// base64 HMAC-SHA256 of the body). Events come from the store itself (rows of builds, releases
// and formation changed since the last scan) and from the scheduler's dyno list, so every path
// that changes them (API, git push, rollback, config change, self-healing) is heard without
// hooks in each. A failed delivery of a sync webhook is retried with doubling delays, 4 attempts
// in all; deliveries and their last attempt are kept in the store.
import { createHmac, randomUUID } from 'node:crypto';
import type { Config } from '../../common/config.ts';
import { errorMessage } from '../../common/errors.ts';
import { fetchAllowed, UrlPolicyError, urlPolicyOf } from '../../common/url-policy.ts';
import { buildJson, releaseJson } from '../http/serializers.ts';
import type { Scheduler } from '../scheduler/types.ts';
import { findApp } from '../store/apps.ts';
import { findBuild } from '../store/builds.ts';
import { now, type Db } from '../store/db.ts';
import { listFormation } from '../store/formation.ts';
import { currentRelease, findRelease } from '../store/releases.ts';
import type { App } from '../store/types.ts';
import { findUserById } from '../store/users.ts';
import {
  appsWithWebhooks, dueDeliveries, findWebhook, insertDelivery, listWebhooks, pruneDeliveries, recordAttempt, type Delivery, type DeliveryStatus,
} from '../store/webhooks.ts';

export const MAX_ATTEMPTS = 4;
const TIMEOUT_MS = 10_000;
/** Finished deliveries are kept this long (ms), then removed. */
const KEEP_DELIVERIES_MS = 7 * 86_400_000;

export interface WebhookService {
  /** Records one event of an app and queues a delivery to each webhook that includes `entity`. */
  emit(app: App, entity: string, action: 'create' | 'update' | 'destroy', data: unknown, actor?: { id: string; email: string } | null): void;
  /** Scans for changes and sends due deliveries now (also runs every scanMs). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const RESOURCE: Record<string, string> = { 'api:build': 'build', 'api:release': 'release', 'api:formation': 'formation', dyno: 'dyno' };

export function startWebhooks(deps: { db: Db; config: Config; scheduler: Scheduler; log: (line: string) => void; scanMs?: number }): WebhookService {
  const { db, config } = deps;
  let cursor = now();
  const seen = new Map<string, string>();
  const dynoStates = new Map<string, Map<string, string>>();
  const inflight = new Map<string, Promise<void>>();
  let running: Promise<void> | null = null;
  let closed = false;

  const actorOf = (userId: string | null) => {
    const u = userId ? findUserById(db, userId) : null;
    return u ? { id: u.id, email: u.email } : null;
  };

  function emit(app: App, entity: string, action: 'create' | 'update' | 'destroy', data: unknown, actor: { id: string; email: string } | null = null): void {
    const eventId = randomUUID();
    const at = now();
    for (const hook of listWebhooks(db, app.id)) {
      if (!hook.include.includes(entity)) continue;
      const payload = {
        id: eventId, action, actor, data, previous_data: {}, resource: RESOURCE[entity] ?? entity, sequence: null,
        version: 'application/vnd.heroku+json; version=3', created_at: at, updated_at: at, published_at: at,
        webhook_metadata: { attempt: { id: null }, delivery: { id: null }, event: { id: eventId, include: entity }, webhook: { id: hook.id } },
      };
      insertDelivery(db, { webhook_id: hook.id, app_id: app.id, event_id: eventId, entity, action, payload: JSON.stringify(payload) });
    }
  }

  /** What happened to a row since the last scan: made (and maybe changed again), or changed. */
  function changed(key: string, createdAt: string, updatedAt: string, since: string): Array<'create' | 'update'> {
    if (seen.get(key) === updatedAt) return [];
    const made = !seen.has(key) && createdAt >= since;
    seen.set(key, updatedAt);
    if (!made) return ['update'];
    return createdAt === updatedAt ? ['create'] : ['create', 'update'];
  }

  async function scan(): Promise<void> {
    const since = cursor;
    const scanStart = now();
    const apps = appsWithWebhooks(db);
    for (const [appId, entities] of apps) {
      const app = findApp(db, appId);
      if (!app) continue;
      if (entities.has('api:build')) {
        for (const { id } of db.prepare('SELECT id FROM builds WHERE app_id = ? AND updated_at >= ? ORDER BY updated_at').all(appId, since) as Array<{ id: string }>) {
          const b = findBuild(db, id);
          for (const action of b ? changed(`build:${id}`, b.created_at, b.updated_at, since) : []) emit(app, 'api:build', action, buildJson(db, config, app, b!), actorOf(b!.user_id));
        }
      }
      if (entities.has('api:release')) {
        for (const { id } of db.prepare('SELECT id FROM releases WHERE app_id = ? AND updated_at >= ? ORDER BY updated_at').all(appId, since) as Array<{ id: string }>) {
          const r = findRelease(db, appId, id);
          for (const action of r ? changed(`release:${id}`, r.created_at, r.updated_at, since) : []) emit(app, 'api:release', action, releaseJson(db, app, r!), actorOf(r!.user_id));
        }
      }
      if (entities.has('api:formation')) {
        const rel = currentRelease(db, appId);
        const build = rel?.build_id ? findBuild(db, rel.build_id) : null;
        for (const f of listFormation(db, appId).filter((x) => x.updated_at >= since)) {
          if (changed(`formation:${appId}:${f.type}`, '', f.updated_at, since).length) {
            emit(app, 'api:formation', 'update', {
              id: `${app.id}:${f.type}`, app: { id: app.id, name: app.name }, type: f.type, quantity: f.quantity, size: f.size,
              command: build?.process_types[f.type] ?? null, updated_at: f.updated_at,
            });
          }
        }
      }
      if (entities.has('dyno')) await scanDynos(app);
    }
    // Rows at the boundary may change again within the same millisecond: keep their keys a scan longer.
    cursor = scanStart;
    for (const [key, at] of seen) if (at < since) seen.delete(key);
  }

  async function scanDynos(app: App): Promise<void> {
    const dynos = await deps.scheduler.list(app.name).catch(() => null);
    if (!dynos) return;
    const after = new Map(dynos.map((d) => [d.name, `${d.state}@${d.release}`]));
    // First look at the app: dynos started since its first dyno webhook count as new.
    const since = listWebhooks(db, app.id).filter((w) => w.include.includes('dyno')).map((w) => w.created_at).sort()[0] ?? now();
    const before = dynoStates.get(app.id)
      ?? new Map(dynos.filter((d) => !d.startedAt || d.startedAt < since).map((d) => [d.name, `${d.state}@${d.release}`]));
    dynoStates.set(app.id, after);
    const json = (d: (typeof dynos)[number]) => ({
      id: d.id, name: d.name, type: d.type, state: d.state, release: { version: d.release }, app: { id: app.id, name: app.name }, size: 'standard',
      created_at: d.startedAt, updated_at: d.startedAt,
    });
    for (const d of dynos) {
      if (!before.has(d.name)) emit(app, 'dyno', 'create', json(d));
      else if (before.get(d.name) !== after.get(d.name)) emit(app, 'dyno', 'update', json(d));
    }
    for (const name of before.keys()) {
      if (!after.has(name)) emit(app, 'dyno', 'destroy', { name, type: name.split('.')[0], state: 'down', app: { id: app.id, name: app.name } });
    }
  }

  async function attempt(d: Delivery): Promise<void> {
    const hook = findWebhook(db, d.webhook_id);
    if (!hook) return;
    const attemptId = randomUUID();
    const payload = JSON.parse(d.payload) as { webhook_metadata: Record<string, unknown> };
    payload.webhook_metadata.attempt = { id: attemptId };
    payload.webhook_metadata.delivery = { id: d.id };
    const body = JSON.stringify(payload);
    const started = now();
    let code: number | null = null;
    let errorClass: string | null = null;
    try {
      const { response, close } = await fetchAllowed(hook.url, {
        policy: urlPolicyOf(config), method: 'POST', body, maxRedirects: 0, signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          'content-type': 'application/json', 'user-agent': 'paas-webhooks/1',
          'heroku-webhook-hmac-sha256': createHmac('sha256', hook.secret).update(body).digest('base64'),
          'heroku-webhook-id': d.id, 'heroku-webhook-event-id': d.event_id,
          ...(hook.auth_header ? { authorization: hook.auth_header } : {}),
        },
      });
      code = response.status;
      await response.body?.cancel().catch(() => undefined);
      await close();
    } catch (err) {
      errorClass = err instanceof UrlPolicyError ? 'url_not_allowed' : 'connection_failed';
    }
    const ok = code !== null && code >= 200 && code < 300;
    const n = d.num_attempts + 1;
    const status: DeliveryStatus = ok ? 'succeeded' : hook.level === 'notify' || n >= MAX_ATTEMPTS ? 'failed' : 'retrying';
    const next = status === 'retrying' ? new Date(Date.now() + config.webhookRetryBaseMs * 2 ** (n - 1)).toISOString() : null;
    if (!ok && errorClass === null) errorClass = `http_${code}`;
    recordAttempt(db, d.id, {
      status, nextAttemptAt: next,
      attempt: { id: attemptId, code, error_class: ok ? null : errorClass, status: ok ? 'succeeded' : 'failed', created_at: started, updated_at: now() },
    });
    deps.log(`webhook ${hook.id.slice(0, 8)} delivery ${d.id.slice(0, 8)} ${d.entity} ${d.action} attempt ${n}/${MAX_ATTEMPTS}: ${code ?? errorClass} -> ${status}${next ? ` (next at ${next})` : ''}`);
  }

  function sendDue(): void {
    for (const d of dueDeliveries(db, now(), 50)) {
      if (inflight.has(d.id)) continue;
      const p = attempt(d).catch((err: unknown) => deps.log(`webhook delivery ${d.id} error: ${errorMessage(err)}`)).finally(() => inflight.delete(d.id));
      inflight.set(d.id, p);
    }
  }

  function tick(): Promise<void> {
    if (closed) return Promise.resolve();
    running ??= (async () => {
      try {
        await scan();
        sendDue();
        pruneDeliveries(db, new Date(Date.now() - KEEP_DELIVERIES_MS).toISOString());
      } catch (err) { deps.log(`webhooks: ${errorMessage(err)}`); } finally { running = null; }
    })();
    return running;
  }

  const timer = setInterval(() => void tick(), deps.scanMs ?? 1000);
  return {
    emit,
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      await Promise.allSettled([...inflight.values()]);
    },
  };
}
