// A typed client of the whole API, generated from docs/openapi.json (types in
// cli/generated/api.ts via bin/gen-client.ts, requests by openapi-fetch): every path,
// parameter, body and answer is checked by the compiler against the server's contracts.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api.ts';

export type ApiSchemas = components['schemas'];
export type ApiClient = ReturnType<typeof createClient<paths>>;

export function createApiClient(apiUrl: string, token: string): ApiClient {
  return createClient<paths>({
    baseUrl: apiUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.heroku+json; version=3' },
  });
}
