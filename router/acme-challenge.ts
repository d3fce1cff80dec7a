// ACME HTTP-01: the CA fetches http://<domain>/.well-known/acme-challenge/<token> on port 80
// (the router's HTTP listener) and expects the key authorization the controller stored in Redis.
// Answered for any Host, before routing, redirects and maintenance pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { ACME_TOKEN } from '../common/tls.ts';
import { acmeChallengeKey } from '../common/redis-keys.ts';

export const ACME_PATH = '/.well-known/acme-challenge/';

export function isAcmeChallenge(url: string | undefined): boolean {
  return url !== undefined && url.startsWith(ACME_PATH);
}

/** Answers a challenge request: 200 with the key authorization, else 404. Resolves to the status. */
export async function answerAcmeChallenge(redis: Redis, prefix: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const token = (req.url ?? '').slice(ACME_PATH.length).split('?')[0];
  let keyAuthorization: string | null = null;
  if (ACME_TOKEN.test(token)) {
    try {
      keyAuthorization = await redis.get(acmeChallengeKey(prefix, token));
    } catch {
      keyAuthorization = null;
    }
  }
  const status = keyAuthorization === null ? 404 : 200;
  const body = keyAuthorization ?? 'No such challenge\n';
  if (!res.destroyed) {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
  return status;
}
