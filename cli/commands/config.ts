import { CliError } from '../client.ts';
import type { Command } from './types.ts';

const KEY_VALUE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

export const configCommands: Command[] = [
  {
    name: 'config',
    aliases: ['config:list'],
    usage: 'paas config [-a APP] [--json] [--shell]',
    description: 'show config vars',
    async run(ctx) {
      const app = ctx.app();
      const vars = await ctx.client().request<Record<string, string>>('GET', `/apps/${app}/config-vars`);
      if (ctx.wantsJson()) return ctx.json(vars);
      const keys = Object.keys(vars).sort();
      if (ctx.args.flags.shell) { for (const k of keys) ctx.out(`${k}=${vars[k]}`); return; }
      ctx.out(`=== ${app} Config Vars`);
      const width = Math.max(0, ...keys.map((k) => k.length + 1));
      for (const k of keys) ctx.out(`${`${k}:`.padEnd(width)} ${vars[k]}`);
    },
  },
  {
    name: 'config:get',
    usage: 'paas config:get KEY [-a APP]',
    description: 'print one config var',
    async run(ctx) {
      const key = ctx.args.positionals[0];
      if (!key) throw new CliError('Usage: paas config:get KEY');
      const vars = await ctx.client().request<Record<string, string>>('GET', `/apps/${ctx.app()}/config-vars`);
      ctx.out(vars[key] ?? '');
    },
  },
  {
    name: 'config:set',
    aliases: ['config:add'],
    usage: 'paas config:set KEY=value ... [-a APP]',
    description: 'set config vars (a new release, processes restart)',
    async run(ctx) {
      if (ctx.args.positionals.length === 0) throw new CliError('Usage: paas config:set KEY=value ...');
      const patch: Record<string, string> = {};
      for (const pair of ctx.args.positionals) {
        const m = KEY_VALUE.exec(pair);
        if (!m) throw new CliError(`${pair} is invalid. Must be in the format KEY=value.`);
        patch[m[1]] = m[2];
      }
      const app = ctx.app();
      const vars = await ctx.client().request<Record<string, string>>('PATCH', `/apps/${app}/config-vars`, patch);
      if (ctx.wantsJson()) return ctx.json(vars);
      ctx.out(`Setting ${Object.keys(patch).join(', ')} and restarting ${app}... done`);
    },
  },
  {
    name: 'config:unset',
    aliases: ['config:remove'],
    usage: 'paas config:unset KEY ... [-a APP]',
    description: 'unset config vars (a new release, processes restart)',
    async run(ctx) {
      if (ctx.args.positionals.length === 0) throw new CliError('Usage: paas config:unset KEY ...');
      const patch = Object.fromEntries(ctx.args.positionals.map((k) => [k, null]));
      const app = ctx.app();
      await ctx.client().request('PATCH', `/apps/${app}/config-vars`, patch);
      ctx.out(`Unsetting ${ctx.args.positionals.join(', ')} and restarting ${app}... done`);
    },
  },
];
