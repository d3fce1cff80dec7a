// How every client presents the registry's credentials (config.registryAuth, from
// PAAS_REGISTRY_AUTH_FILE; null when the registry has no authentication).
import type { RegistryAuth } from './config.ts';

/** Headers for the registry's HTTP API (the registry uses HTTP Basic with htpasswd). */
export function registryAuthHeaders(auth: RegistryAuth | null): Record<string, string> {
  if (!auth) return {};
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

/** dockerode's `authconfig` for push and pull (sent as X-Registry-Auth). */
export function dockerAuthConfig(registry: string, auth: RegistryAuth | null): { serveraddress: string; username?: string; password?: string } {
  return auth ? { serveraddress: registry, username: auth.username, password: auth.password } : { serveraddress: registry };
}
