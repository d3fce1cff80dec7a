// The CLI's view of the platform: where the API is, the token, and JSON requests to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netrcPath, readNetrc } from './netrc.ts';
import { errorMessage } from '../common/errors.ts';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliConfig { apiUrl: string }

export const configPath = (env: NodeJS.ProcessEnv = process.env): string =>
  env.PAAS_CLI_CONFIG || path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'paas', 'config.json');

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  let stored: Partial<CliConfig> = {};
  try { stored = JSON.parse(fs.readFileSync(configPath(env), 'utf8')) as Partial<CliConfig>; } catch { /* none yet */ }
  const apiUrl = env.PAAS_API_URL || stored.apiUrl || 'http://127.0.0.1:7000';
  return { apiUrl: apiUrl.replace(/\/+$/, '') };
}

export function saveCliConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): void {
  const file = configPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/** PAAS_API_KEY wins; otherwise the ~/.netrc entry of the API host (as the Heroku CLI does). */
export function findToken(apiUrl: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PAAS_API_KEY) return env.PAAS_API_KEY.trim();
  const host = new URL(apiUrl).hostname;
  return readNetrc(netrcPath(env)).find((e) => e.machine === host)?.password || null;
}

export interface Client {
  apiUrl: string;
  /** The API token (for connections the client makes itself, such as `paas run`'s websocket). */
  token: string | null;
  request<T>(method: string, pathname: string, body?: unknown): Promise<T>;
  /** A JSON request that also returns one response header (e.g. a secret shown once). */
  requestWithHeader<T>(method: string, pathname: string, body: unknown, header: string): Promise<{ body: T; header: string | null }>;
  /** PUT raw bytes to an absolute URL (a signed source put_url: no token is sent). */
  upload(url: string, file: string): Promise<void>;
  /** GET a plain-text resource (build output, logs). */
  text(pathname: string): Promise<string>;
  /** GET a streamed plain-text resource, writing chunks as they arrive. */
  stream(pathname: string, write: (chunk: string) => void, opts?: { method?: string; body?: unknown; signal?: AbortSignal }): Promise<void>;
  /** The response itself (a binary download); errors are thrown as for request. */
  raw(method: string, pathname: string, body?: unknown): Promise<Response>;
}

/** The message of an API error answer ({id, message}), or its text. */
async function errorMessageOf(res: Response): Promise<string> {
  const text = await res.text();
  try { return (JSON.parse(text) as { message?: string }).message ?? (text.trim() || res.statusText); } catch { return text.trim() || res.statusText; }
}

export function createClient(apiUrl: string, token: string | null): Client {
  async function open(method: string, pathname: string, body?: unknown, signal?: AbortSignal, range?: string): Promise<Response> {
    if (!token) throw new CliError('Not logged in: run `paas login` or set PAAS_API_KEY.');
      let res: Response;
      try {
        res = await fetch(`${apiUrl}${pathname}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/vnd.heroku+json; version=3',
            ...(range ? { range } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
      } catch (err) {
        throw new CliError(`Cannot reach the paas API at ${apiUrl}: ${errorMessage(err)}`);
      }
      if (!res.ok) {
        const message = await errorMessageOf(res);
        throw new CliError(res.status === 401 ? `${message} Run \`paas login\`.` : message);
      }
      return res;
  }

  async function send(method: string, pathname: string, body?: unknown): Promise<{ res: Response; text: string }> {
    const res = await open(method, pathname, body);
    return { res, text: await res.text() };
  }

  return {
    apiUrl,
    token,
    async request<T>(method: string, pathname: string, body?: unknown): Promise<T> {
      const { res, text } = await send(method, pathname, body);
      let json: unknown = null;
      try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      // A list longer than a page (over 1000 items, as on Heroku): the rest through Next-Range.
      let next = res.status === 206 && Array.isArray(json) ? res.headers.get('next-range') : null;
      for (let pages = 0; next && pages < 1000; pages++) {
        const more = await open('GET', pathname, undefined, undefined, next);
        (json as unknown[]).push(...(JSON.parse(await more.text()) as unknown[]));
        next = more.status === 206 ? more.headers.get('next-range') : null;
      }
      return json as T;
    },
    async requestWithHeader<T>(method: string, pathname: string, body: unknown, header: string) {
      const { res, text } = await send(method, pathname, body);
      return { body: (text ? JSON.parse(text) : null) as T, header: res.headers.get(header) };
    },
    async upload(url, file) {
      const size = fs.statSync(file).size;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
          body: fs.createReadStream(file) as unknown as ReadableStream, duplex: 'half',
        } as RequestInit);
      } catch (err) {
        throw new CliError(`Could not upload the source: ${errorMessage(err)}`);
      }
      if (!res.ok) throw new CliError(`Could not upload the source: ${await errorMessageOf(res)}`);
    },
    async text(pathname: string): Promise<string> {
      return (await send('GET', pathname)).text;
    },
    raw: open,
    async stream(pathname, write, opts) {
      const res = await open(opts?.method ?? 'GET', pathname, opts?.body, opts?.signal);
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) write(decoder.decode(chunk, { stream: true }));
      } catch (err) {
        if (!opts?.signal?.aborted) throw err; // the caller stopped reading
      }
    },
  };
}
