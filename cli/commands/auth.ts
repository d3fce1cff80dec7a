import { flag } from '../args.ts';
import { CliError, createClient, loadCliConfig, saveCliConfig } from '../client.ts';
import { netrcPath, writeNetrcEntry } from '../netrc.ts';
import type { Command } from './types.ts';

async function readStdinLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split('\n')[0].trim();
}

interface Account { id: string; email: string; admin: boolean }

export const authCommands: Command[] = [
  {
    name: 'login',
    usage: 'paas login [--api URL] [--token TOKEN]',
    description: 'store an API token in ~/.netrc (used by the CLI and by git push)',
    async run(ctx) {
      const apiUrl = (flag(ctx.args, 'api') ?? loadCliConfig(ctx.env).apiUrl).replace(/\/+$/, '');
      const token = flag(ctx.args, 'token') ?? ctx.env.PAAS_API_KEY ?? await readStdinLine('API token: ');
      if (!token) throw new CliError('No token given: use --token TOKEN (the admin token is in $PAAS_DATA_DIR/admin.token).');
      const account = await createClient(apiUrl, token).request<Account>('GET', '/account');
      const host = new URL(apiUrl).hostname;
      writeNetrcEntry(netrcPath(ctx.env), host, { machine: host, login: account.email, password: token });
      saveCliConfig({ apiUrl }, ctx.env);
      ctx.out(`Logged in as ${account.email} (${apiUrl})`);
    },
  },
  {
    name: 'logout',
    usage: 'paas logout',
    description: 'remove the stored token',
    async run(ctx) {
      const { apiUrl } = loadCliConfig(ctx.env);
      writeNetrcEntry(netrcPath(ctx.env), new URL(apiUrl).hostname, null);
      ctx.out('Logged out');
    },
  },
  {
    name: 'auth:whoami',
    aliases: ['whoami'],
    usage: 'paas whoami',
    description: 'show the logged-in account',
    async run(ctx) {
      const account = await ctx.client().request<Account>('GET', '/account');
      if (ctx.wantsJson()) ctx.json(account);
      else ctx.out(account.email);
    },
  },
];
