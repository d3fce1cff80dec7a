// The machines dynos run on (an admin's view): list them, drain one (its dynos move to the
// other nodes without a failed request) or make it take dynos again. Draining holds every
// app's lock, so no deploy, scale or restart interleaves with the dynos it moves.
import { listApps } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { ClusterNode, NodeAvailability, Scheduler } from '../scheduler/types.ts';
import type { Deployer } from './deployer.ts';
import type { RoutePublisher } from './route-publisher.ts';

export interface NodeService {
  list(): Promise<ClusterNode[]>;
  setAvailability(node: string, availability: NodeAvailability): Promise<ClusterNode>;
}

export function createNodeService(deps: { db: Db; scheduler: Scheduler; deployer: Deployer; routes: RoutePublisher }): NodeService {
  return {
    list: () => deps.scheduler.nodes(),
    setAvailability: (node, availability) => deps.deployer.exclusive(listApps(deps.db).map((a) => a.name), async () => {
      const result = await deps.scheduler.setNodeAvailability(node, availability, async () => { await deps.routes.sync(); });
      await deps.routes.sync();
      return result;
    }),
  };
}
