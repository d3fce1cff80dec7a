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
const Quantity = Type.Integer({ minimum: 0, maximum: MAX_QUANTITY, examples: [2] });
export const FormationBatchBody = Type.Object({
  updates: Type.Array(Type.Object({ type: Type.String({ examples: ['web'] }), quantity: Quantity }, { additionalProperties: false }), { minItems: 1 }),
}, { additionalProperties: false });
export const FormationOneBody = Type.Object({ quantity: Quantity }, { additionalProperties: false });

const A = '/apps/{app}';
export const formationRoutes = [
  route({ method: 'get', path: `${A}/formation`, summary: 'Process types and quantities', response: Type.Array(FormationSchema) }),
  route({ method: 'patch', path: `${A}/formation`, summary: 'Scale several process types', body: FormationBatchBody, response: Type.Array(FormationSchema) }),
  route({ method: 'get', path: `${A}/formation/{type}`, summary: 'One process type', response: FormationSchema }),
  route({ method: 'patch', path: `${A}/formation/{type}`, summary: 'Scale one process type', body: FormationOneBody, response: FormationSchema }),
];
