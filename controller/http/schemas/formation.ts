// Formation: process types and their quantities.
import { Type } from '@sinclair/typebox';
import { AppRef, Nullable, Timestamp, named, route } from './common.ts';

export const FormationSchema = named('Formation', Type.Object({
  id: Type.String(),
  app: AppRef,
  type: Type.String(),
  quantity: Type.Integer({ minimum: 0 }),
  size: Type.String(),
  command: Nullable(Type.String()),
  updated_at: Timestamp,
}), { id: '01234567-89ab-4def-8123-456789abcdef:web', app: { id: '01234567-89ab-4def-8123-456789abcdef', name: 'hello' }, type: 'web', quantity: 2, size: 'standard', command: 'node server.js', updated_at: '2026-01-02T03:04:05.678Z' });

/** Most dynos of one process type. */
export const MAX_QUANTITY = 100;
/** A number, or as Heroku also takes it a string: "2", or "+1"/"-1" relative to the current quantity. */
const Quantity = Type.Union([
  Type.Integer({ minimum: 0, maximum: MAX_QUANTITY }),
  Type.String({ pattern: '^[+-]?[0-9]{1,3}$', description: '"+N"/"-N": relative to the current quantity' }),
], { examples: [2, '2', '+1'] });
const Size = Type.String({ description: 'only the size the process type has (standard): one size per process type here', examples: ['standard'] });
export const FormationBatchBody = Type.Object({
  updates: Type.Array(Type.Object({ type: Type.String({ examples: ['web'] }), quantity: Quantity, size: Type.Optional(Size) }, { additionalProperties: false }), { minItems: 1 }),
}, { additionalProperties: false });
export const FormationOneBody = Type.Object({ quantity: Quantity, size: Type.Optional(Size) }, { additionalProperties: false });

const A = '/apps/{app}';
export const formationRoutes = [
  route({ method: 'get', path: `${A}/formation`, summary: 'Process types and quantities', response: Type.Array(FormationSchema) }),
  route({ method: 'patch', path: `${A}/formation`, summary: 'Scale several process types', body: FormationBatchBody, response: Type.Array(FormationSchema) }),
  route({ method: 'get', path: `${A}/formation/{type}`, summary: 'One process type', response: FormationSchema }),
  route({ method: 'patch', path: `${A}/formation/{type}`, summary: 'Scale one process type', body: FormationOneBody, response: FormationSchema }),
];
