// Cluster nodes (admin only; a paas extension): GET /nodes, PATCH /nodes/:node {availability}.
import { Router } from 'express';
import { ForbiddenError } from '../../common/errors.ts';
import type { ClusterNode } from '../scheduler/types.ts';
import { createNodeService } from '../services/nodes.ts';
import { currentUser } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import type { Static } from './schemas/common.ts';
import type { NodeUpdateBody } from './schemas/nodes.ts';

const nodeJson = (n: ClusterNode) => ({
  id: n.id, name: n.name, address: n.address, role: n.role, state: n.state, availability: n.availability, dynos: n.dynos, self: n.self,
});

export function nodesRouter(deps: ApiDeps): Router {
  const r = Router();
  const nodes = createNodeService(deps);
  r.use('/nodes', (_req, res, next) => {
    if (!currentUser(res).admin) throw new ForbiddenError('Only admins can see and change nodes.');
    next();
  });
  r.get('/nodes', async (_req, res) => {
    res.json((await nodes.list()).map(nodeJson));
  });
  r.patch('/nodes/:node', async (req, res) => {
    const { availability } = req.body as Static<typeof NodeUpdateBody>;
    res.json(nodeJson(await nodes.setAvailability(String(req.params.node), availability)));
  });
  return r;
}
