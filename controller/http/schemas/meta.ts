// Routes about the API itself, and the app log stream.
import { Type } from '@sinclair/typebox';
import { route } from './common.ts';

export const metaRoutes = [
  route({ method: 'get', path: '/healthz', summary: 'Liveness (no authentication)', public: true, response: Type.Object({ status: Type.Literal('ok') }) }),
  route({ method: 'get', path: '/openapi.json', summary: 'This document (no authentication)', public: true, response: Type.Object({ openapi: Type.String() }) }),
  route({
    method: 'get', path: '/apps/{app}/log-stream', stream: true,
    summary: 'App log: dyno output, router and platform lines; text lines, or server-sent events (one data: per line) with Accept: text/event-stream',
    query: Type.Object({
      lines: Type.Optional(Type.String({ pattern: '^\\d+$', description: 'past lines, 0 to 1500 (default 100)' })),
      tail: Type.Optional(Type.String({ description: 'true or 1: keep following' })),
      dyno: Type.Optional(Type.String({ examples: ['web.1'] })),
      source: Type.Optional(Type.String({ examples: ['app'] })),
    }),
  }),
];
