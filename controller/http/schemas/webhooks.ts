// App webhooks, Heroku's shape: notifications of builds, releases, formation and dyno changes,
// signed with the webhook's secret (Heroku-Webhook-Hmac-SHA256), retried with back-off.
import { Type } from '@sinclair/typebox';
import { AppRef, Nullable, Timestamp, Uuid, named, route } from './common.ts';

export const WEBHOOK_ENTITIES = ['api:build', 'api:release', 'api:formation', 'dyno'] as const;
export const Entity = Type.Union(WEBHOOK_ENTITIES.map((e) => Type.Literal(e)));
const Level = Type.Union([Type.Literal('notify'), Type.Literal('sync')], { description: 'notify: one attempt is enough to stop; sync: retried until it succeeds (4 attempts)' });

export const WebhookSchema = named('Webhook', Type.Object({
  id: Uuid,
  app: AppRef,
  include: Type.Array(Entity),
  level: Level,
  url: Type.String({ format: 'uri' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '61234567-89ab-4def-8123-456789abcdef', app: { id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello' },
  include: ['api:release'], level: 'sync', url: 'https://ci.example.com/hooks/paas', created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:05.678Z',
});

const Url = Type.String({ maxLength: 2048, description: 'http(s); loopback and private addresses are refused unless the operator allows them', examples: ['https://ci.example.com/hooks/paas'] });
const Secret = Type.String({ minLength: 8, maxLength: 200, description: 'signs every delivery (generated when absent; returned once in the Heroku-Webhook-Secret header)' });
const Authorization = Nullable(Type.String({ maxLength: 1000, description: 'sent as the Authorization header of every delivery' }));
const Include = Type.Array(Entity, { minItems: 1, uniqueItems: true });

export const WebhookCreateBody = Type.Object({
  include: Include, url: Url, level: Type.Optional(Level), secret: Type.Optional(Secret), authorization: Type.Optional(Authorization),
}, { additionalProperties: false });
export const WebhookUpdateBody = Type.Object({
  include: Type.Optional(Include), url: Type.Optional(Url), level: Type.Optional(Level), secret: Type.Optional(Secret), authorization: Type.Optional(Authorization),
}, { additionalProperties: false });

export const DeliveryStatus = Type.Union(['pending', 'scheduled', 'retrying', 'failed', 'succeeded'].map((s) => Type.Literal(s)));
export const DeliverySchema = named('WebhookDelivery', Type.Object({
  id: Uuid,
  event: Type.Object({ id: Uuid, include: Entity, action: Type.String() }),
  webhook: Type.Object({ id: Uuid, level: Level }),
  status: DeliveryStatus,
  num_attempts: Type.Integer({ minimum: 0 }),
  next_attempt_at: Nullable(Timestamp),
  last_attempt: Nullable(Type.Object({
    id: Uuid, code: Nullable(Type.Integer()), error_class: Nullable(Type.String()),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]), created_at: Timestamp, updated_at: Timestamp,
  })),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '71234567-89ab-4def-8123-456789abcdef', event: { id: '81234567-89ab-4def-8123-456789abcdef', include: 'api:release', action: 'update' },
  webhook: { id: '61234567-89ab-4def-8123-456789abcdef', level: 'sync' }, status: 'retrying', num_attempts: 2, next_attempt_at: '2026-01-02T03:05:05.678Z',
  last_attempt: { id: '91234567-89ab-4def-8123-456789abcdef', code: 503, error_class: null, status: 'failed', created_at: '2026-01-02T03:04:25.000Z', updated_at: '2026-01-02T03:04:25.100Z' },
  created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:25.100Z',
});

const A = '/apps/{app}';
export const webhooksRoutes = [
  route({ method: 'get', path: `${A}/webhooks`, summary: "The app's webhooks", response: Type.Array(WebhookSchema) }),
  route({ method: 'post', path: `${A}/webhooks`, summary: 'Subscribe a URL to events of the app (api:build, api:release, api:formation, dyno)', body: WebhookCreateBody, status: 201, response: WebhookSchema }),
  route({ method: 'get', path: `${A}/webhooks/{id}`, summary: 'One webhook', response: WebhookSchema }),
  route({ method: 'patch', path: `${A}/webhooks/{id}`, summary: 'Change a webhook', body: WebhookUpdateBody, response: WebhookSchema }),
  route({ method: 'delete', path: `${A}/webhooks/{id}`, summary: 'Remove a webhook (and its deliveries)', response: WebhookSchema }),
  route({ method: 'get', path: `${A}/webhook-deliveries`, summary: 'Deliveries of the app\'s webhooks, newest first: status, attempts, last attempt', response: Type.Array(DeliverySchema) }),
  route({ method: 'get', path: `${A}/webhook-deliveries/{id}`, summary: 'One delivery', response: DeliverySchema }),
];
