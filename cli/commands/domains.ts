import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface DomainInfo { hostname: string; kind: string; cname: string | null }

export const domainsCommands: Command[] = [
  {
    name: 'domains',
    usage: 'paas domains [-a APP] [--json]',
    description: 'list the hostnames an app answers to',
    async run(ctx) {
      const app = ctx.app();
      const list = await ctx.client().request<DomainInfo[]>('GET', `/apps/${app}/domains`);
      if (ctx.wantsJson()) return ctx.json(list);
      ctx.out(`=== ${app} Domains`);
      for (const d of list) ctx.out(d.kind === 'custom' ? `${d.hostname}  (CNAME to ${d.cname})` : d.hostname);
    },
  },
  {
    name: 'domains:add',
    usage: 'paas domains:add HOSTNAME [-a APP]',
    description: 'route a custom hostname to the app',
    async run(ctx) {
      const hostname = ctx.args.positionals[0];
      if (!hostname) throw new CliError('Usage: paas domains:add HOSTNAME');
      const app = ctx.app();
      const d = await ctx.client().request<DomainInfo>('POST', `/apps/${app}/domains`, { hostname });
      if (ctx.wantsJson()) return ctx.json(d);
      ctx.out(`Adding ${hostname} to ${app}... done`);
      ctx.out(`Point a CNAME (or A record) for ${hostname} at ${d.cname}.`);
    },
  },
  {
    name: 'domains:remove',
    usage: 'paas domains:remove HOSTNAME [-a APP]',
    description: 'stop routing a custom hostname',
    async run(ctx) {
      const hostname = ctx.args.positionals[0];
      if (!hostname) throw new CliError('Usage: paas domains:remove HOSTNAME');
      const app = ctx.app();
      await ctx.client().request('DELETE', `/apps/${app}/domains/${encodeURIComponent(hostname)}`);
      ctx.out(`Removing ${hostname} from ${app}... done`);
    },
  },
];
