// Log drains (Heroku: drains, drains:add, drains:remove): ship the app's log to a syslog
// (syslog+tls://, syslog+tcp://) or HTTPS endpoint.
import type { ApiSchemas } from '../api-client.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

type LogDrain = ApiSchemas['LogDrain'];

export const drainsCommands: Command[] = [
  {
    name: 'drains',
    usage: 'paas drains [-a APP] [--json]',
    description: "list the app's log drains (URL and token; passwords shown as ****)",
    async run(ctx) {
      const app = ctx.app();
      const list = await ctx.client().request<LogDrain[]>('GET', `/apps/${app}/log-drains`);
      if (ctx.wantsJson()) return ctx.json(list);
      if (list.length === 0) { ctx.out(`${app} has no drains.`); return; }
      ctx.out('=== Drains');
      for (const d of list) ctx.out(`${d.url} (${d.token})`);
    },
  },
  {
    name: 'drains:add',
    usage: 'paas drains:add URL [-a APP] [--json]',
    description: 'ship the app\'s log to URL: syslog+tls://host:port, syslog+tcp://host:port or https://[user:password@]host/path',
    async run(ctx) {
      const app = ctx.app();
      const url = ctx.args.positionals[0];
      if (!url) throw new CliError('Usage: paas drains:add URL');
      const d = await ctx.client().request<LogDrain>('POST', `/apps/${app}/log-drains`, { url });
      if (ctx.wantsJson()) return ctx.json(d);
      ctx.out(`Successfully added drain ${d.url}`);
    },
  },
  {
    name: 'drains:remove',
    usage: 'paas drains:remove URL_OR_TOKEN_OR_ID [-a APP] [--json]',
    description: 'stop shipping the app\'s log to a drain',
    async run(ctx) {
      const app = ctx.app();
      const ref = ctx.args.positionals[0];
      if (!ref) throw new CliError('Usage: paas drains:remove URL_OR_TOKEN_OR_ID');
      const d = await ctx.client().request<LogDrain>('DELETE', `/apps/${app}/log-drains/${encodeURIComponent(ref)}`);
      if (ctx.wantsJson()) return ctx.json(d);
      ctx.out(`Successfully removed drain ${d.url}`);
    },
  },
];
