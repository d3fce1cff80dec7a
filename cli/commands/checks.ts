import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface Checks { health_check_path: string; boot_timeout: number; drain_grace: number }

const KEYS = ['health_check_path', 'boot_timeout', 'drain_grace'] as const;
type Key = typeof KEYS[number];

const parseKey = (raw: string): Key => {
  const key = raw.replaceAll('-', '_') as Key;
  if (!KEYS.includes(key)) throw new CliError(`Unknown check ${raw}: use ${KEYS.join(', ')}.`);
  return key;
};

const show = (ctx: Parameters<Command['run']>[0], app: string, c: Checks): void => {
  ctx.out(`=== ${app} Checks`);
  ctx.out(`health_check_path: ${c.health_check_path}`);
  ctx.out(`boot_timeout:      ${c.boot_timeout}s`);
  ctx.out(`drain_grace:       ${c.drain_grace}s`);
};

export const checksCommands: Command[] = [
  {
    name: 'checks',
    usage: 'paas checks [-a APP] [--json]',
    description: 'show the health check path, boot timeout and drain grace of an app',
    async run(ctx) {
      const app = ctx.app();
      const c = await ctx.client().request<Checks>('GET', `/apps/${app}/checks`);
      if (ctx.wantsJson()) return ctx.json(c);
      show(ctx, app, c);
    },
  },
  {
    name: 'checks:set',
    usage: 'paas checks:set health_check_path=/up boot_timeout=60 drain_grace=30 [-a APP]',
    description: 'change deploy checks (used from the next deploy, restart or scale)',
    async run(ctx) {
      if (ctx.args.positionals.length === 0) throw new CliError('Usage: paas checks:set KEY=value ... (health_check_path, boot_timeout, drain_grace)');
      const patch: Record<string, string | number> = {};
      for (const pair of ctx.args.positionals) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new CliError(`${pair} is invalid. Must be in the format KEY=value.`);
        const key = parseKey(pair.slice(0, eq));
        const value = pair.slice(eq + 1);
        if (key === 'health_check_path') patch[key] = value;
        else if (/^\d+$/.test(value)) patch[key] = Number(value);
        else throw new CliError(`${key} must be a whole number of seconds.`);
      }
      const app = ctx.app();
      const c = await ctx.client().request<Checks>('PATCH', `/apps/${app}/checks`, patch);
      if (ctx.wantsJson()) return ctx.json(c);
      ctx.out(`Setting ${Object.keys(patch).join(', ')} for ${app}... done (used from the next deploy)`);
    },
  },
  {
    name: 'checks:unset',
    usage: 'paas checks:unset KEY ... [-a APP]',
    description: 'reset deploy checks to the platform defaults',
    async run(ctx) {
      if (ctx.args.positionals.length === 0) throw new CliError('Usage: paas checks:unset KEY ... (health_check_path, boot_timeout, drain_grace)');
      const patch = Object.fromEntries(ctx.args.positionals.map((k) => [parseKey(k), null]));
      const app = ctx.app();
      const c = await ctx.client().request<Checks>('PATCH', `/apps/${app}/checks`, patch);
      if (ctx.wantsJson()) return ctx.json(c);
      ctx.out(`Resetting ${Object.keys(patch).join(', ')} for ${app}... done`);
    },
  },
];
