// Cluster nodes (admin only): the machines dynos run on.
import { Type } from '@sinclair/typebox';
import { named, route } from './common.ts';

export const NodeSchema = named('Node', Type.Object({
  id: Type.String(),
  name: Type.String({ examples: ['worker-1'] }),
  address: Type.String({ examples: ['10.0.0.12'] }),
  role: Type.Union([Type.Literal('manager'), Type.Literal('worker')]),
  state: Type.String({ examples: ['ready', 'down'] }),
  availability: Type.Union([Type.Literal('active'), Type.Literal('pause'), Type.Literal('drain')]),
  dynos: Type.Integer({ minimum: 0 }),
  self: Type.Boolean(),
}));

export const NodeUpdateBody = Type.Object({
  availability: Type.Union([Type.Literal('drain'), Type.Literal('active')]),
}, { additionalProperties: false });

export const nodesRoutes = [
  route({ method: 'get', path: '/nodes', summary: 'Machines dynos run on, with role, state, availability and dyno count (admin only)', response: Type.Array(NodeSchema) }),
  route({
    method: 'patch', path: '/nodes/{node}', body: NodeUpdateBody, response: NodeSchema,
    summary: 'Drain a node (its web dynos are replaced on other nodes, healthy and routed, before it stops taking dynos) or make it active again (admin only; swarm scheduler)',
  }),
];
