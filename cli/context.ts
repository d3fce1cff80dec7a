import { execFileSync } from 'node:child_process';
import { flag, type Parsed } from './args.ts';
import { CliError, createClient, findToken, loadCliConfig, type Client } from './client.ts';

export interface Context {
  args: Parsed;
  env: NodeJS.ProcessEnv;
  client(): Client;
  /** The app from -a/--app, else from the `paas` git remote (or --remote NAME). */
  app(): string;
  out(text: string): void;
  /** Raw output, no newline added. */
  write(text: string): void;
  json(value: unknown): void;
  wantsJson(): boolean;
}

export function appFromRemote(remote: string, cwd = process.cwd()): string | null {
  try {
    const url = execFileSync('git', ['config', '--get', `remote.${remote}.url`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const m = /\/([a-z0-9-]+)\.git\/?$/.exec(url);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

export function createContext(args: Parsed, env: NodeJS.ProcessEnv, write: (s: string) => void): Context {
  let client: Client | null = null;
  return {
    args,
    env,
    client() {
      if (!client) {
        const { apiUrl } = loadCliConfig(env);
        client = createClient(apiUrl, findToken(apiUrl, env));
      }
      return client;
    },
    app() {
      const named = flag(args, 'app') ?? env.PAAS_APP;
      if (named) return named;
      const fromRemote = appFromRemote(flag(args, 'remote') ?? 'paas');
      if (fromRemote) return fromRemote;
      throw new CliError('No app specified: use -a APP, or run inside a repository with a `paas` git remote (paas git:remote -a APP).');
    },
    out: (text) => write(`${text}\n`),
    write,
    json: (value) => write(`${JSON.stringify(value, null, 2)}\n`),
    wantsJson: () => args.flags.json === true,
  };
}
