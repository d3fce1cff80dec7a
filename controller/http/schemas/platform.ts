// The platform's status (admin only): services up and the build queue (the dashboard's status page).
import { Type } from '@sinclair/typebox';
import { named, Nullable, route, Timestamp } from './common.ts';

export const PlatformStatusSchema = named('PlatformStatus', Type.Object({
  services: Type.Array(Type.Object({
    name: Type.String({ examples: ['redis', 'registry', 'docker', 'router'] }),
    up: Type.Boolean(),
    detail: Type.String({ examples: ['PING PONG'] }),
  })),
  build_queue: Nullable(Type.Object({
    waiting: Type.Integer({ minimum: 0 }), active: Type.Integer({ minimum: 0 }), delayed: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }),
  })),
  checked_at: Timestamp,
}));

export const platformRoutes = [
  route({ method: 'get', path: '/platform/status', summary: 'Whether Redis, the registry, the Docker engine(s) and the routers answer, and the build queue length (admin only; paas)', response: PlatformStatusSchema }),
];
