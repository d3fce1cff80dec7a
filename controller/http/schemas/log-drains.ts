// Log drains, Heroku's log-drain resource: where an app's log lines are shipped (syslog over
// TCP or TLS, or HTTPS batches in Logplex's format). The URL comes back redacted.
import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid, named, route } from './common.ts';

export const LogDrainSchema = named('LogDrain', Type.Object({
  id: Uuid,
  url: Type.String({ description: 'the drain URL, its password and query values replaced by ****' }),
  token: Type.String({ description: 'the HOSTNAME field of every frame sent to this drain (d.<uuid>)', examples: ['d.01234567-89ab-4def-8123-456789abcdef'] }),
  addon: Nullable(Type.Object({ id: Uuid, name: Type.String() })),
  app: Type.Object({ id: Uuid, name: Type.String() }),
  created_at: Timestamp,
  updated_at: Timestamp,
}), {
  id: '51234567-89ab-4def-8123-456789abcdef', url: 'syslog+tls://logs.example.com:6514', token: 'd.01234567-89ab-4def-8123-456789abcdef',
  addon: null, app: { id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello' }, created_at: '2026-01-02T03:04:05.678Z', updated_at: '2026-01-02T03:04:05.678Z',
});

export const LogDrainCreateBody = Type.Object({
  url: Type.String({
    minLength: 1, maxLength: 1024,
    description: 'syslog+tls://host:port, syslog+tcp://host:port or https://[user:password@]host/path; loopback and private addresses are refused unless the operator allows them',
    examples: ['syslog+tls://logs.example.com:6514'],
  }),
}, { additionalProperties: false });

const A = '/apps/{app}';
export const logDrainsRoutes = [
  route({ method: 'get', path: `${A}/log-drains`, summary: "The app's log drains", response: Type.Array(LogDrainSchema) }),
  route({ method: 'post', path: `${A}/log-drains`, summary: 'Ship the app\'s log (dynos, router, API, builds) to a syslog or HTTPS drain', body: LogDrainCreateBody, status: 201, response: LogDrainSchema }),
  route({ method: 'get', path: `${A}/log-drains/{id}`, summary: 'One log drain, by id, token or URL', response: LogDrainSchema }),
  route({ method: 'delete', path: `${A}/log-drains/{id}`, summary: 'Remove a log drain (by id, token or URL)', response: LogDrainSchema }),
];
