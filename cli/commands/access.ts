import { CliError } from '../client.ts';
import type { Command } from './types.ts';

export const accessCommands: Command[] = [
  {
    name: 'access',
    usage: 'paas access [-a APP] [--json]',
    description: 'list collaborators',
    async run(ctx) {
      const list = await ctx.client().request<Array<{ user: { email: string }; role: string }>>('GET', `/apps/${ctx.app()}/collaborators`);
      if (ctx.wantsJson()) return ctx.json(list);
      for (const c of list) ctx.out(`${c.user.email}  ${c.role}`);
    },
  },
  {
    name: 'access:add',
    usage: 'paas access:add EMAIL [-a APP]',
    description: 'add a collaborator',
    async run(ctx) {
      const email = ctx.args.positionals[0];
      if (!email) throw new CliError('Usage: paas access:add EMAIL');
      const app = ctx.app();
      await ctx.client().request('POST', `/apps/${app}/collaborators`, { user: email });
      ctx.out(`Adding ${email} access to ${app}... done`);
    },
  },
  {
    name: 'access:remove',
    usage: 'paas access:remove EMAIL [-a APP]',
    description: 'remove a collaborator',
    async run(ctx) {
      const email = ctx.args.positionals[0];
      if (!email) throw new CliError('Usage: paas access:remove EMAIL');
      const app = ctx.app();
      await ctx.client().request('DELETE', `/apps/${app}/collaborators/${encodeURIComponent(email)}`);
      ctx.out(`Removing ${email} access from ${app}... done`);
    },
  },
];
