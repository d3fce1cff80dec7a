// App webhooks (Heroku: webhooks, webhooks:add, webhooks:remove, webhooks:deliveries).
import { flag } from '../args.ts';
import type { ApiSchemas } from '../api-client.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

type Webhook = ApiSchemas['Webhook'];
type Delivery = ApiSchemas['WebhookDelivery'];

const pick = (ctx: Parameters<Command['run']>[0], long: string, short: string): string | undefined => flag(ctx.args, long) ?? flag(ctx.args, short);

export const webhooksCommands: Command[] = [
  {
    name: 'webhooks',
    usage: 'paas webhooks [-a APP] [--json]',
    description: "list the app's webhooks",
    async run(ctx) {
      const app = ctx.app();
      const list = await ctx.client().request<Webhook[]>('GET', `/apps/${app}/webhooks`);
      if (ctx.wantsJson()) return ctx.json(list);
      if (list.length === 0) { ctx.out(`${app} has no webhooks. Add one with paas webhooks:add -i api:release -u URL.`); return; }
      ctx.out(`=== ${app} Webhooks`);
      for (const w of list) ctx.out(`${w.id}  ${w.url}  ${w.include.join(',')}  ${w.level}`);
    },
  },
  {
    name: 'webhooks:add',
    usage: 'paas webhooks:add -i api:release[,api:build,api:formation,dyno] -u URL [-l sync|notify] [-s SECRET] [--authorization VALUE] [-a APP]',
    description: 'send events of the app to a URL (signed: Heroku-Webhook-Hmac-SHA256)',
    async run(ctx) {
      const app = ctx.app();
      const include = pick(ctx, 'include', 'i');
      const url = pick(ctx, 'url', 'u');
      if (!include || !url) throw new CliError('Usage: paas webhooks:add -i api:release -u https://…');
      const level = pick(ctx, 'level', 'l');
      const secret = pick(ctx, 'secret', 's');
      const authorization = flag(ctx.args, 'authorization');
      const { body, header: given } = await ctx.client().requestWithHeader<Webhook>('POST', `/apps/${app}/webhooks`, {
        include: include.split(',').map((s) => s.trim()).filter(Boolean), url,
        ...(level ? { level } : {}), ...(secret ? { secret } : {}), ...(authorization ? { authorization } : {}),
      }, 'heroku-webhook-secret');
      if (ctx.wantsJson()) return ctx.json({ ...body, secret: given });
      ctx.out(`Added webhook ${body.id} to ${app}`);
      if (!secret && given) ctx.out(`=== Webhook Signing Secret\n${given}`);
    },
  },
  {
    name: 'webhooks:remove',
    usage: 'paas webhooks:remove ID [-a APP]',
    description: 'remove a webhook',
    async run(ctx) {
      const app = ctx.app();
      const id = ctx.args.positionals[0];
      if (!id) throw new CliError('Usage: paas webhooks:remove ID');
      await ctx.client().request('DELETE', `/apps/${app}/webhooks/${encodeURIComponent(id)}`);
      ctx.out(`Removed webhook ${id} from ${app}`);
    },
  },
  {
    name: 'webhooks:deliveries',
    usage: 'paas webhooks:deliveries [-a APP] [--json]',
    description: 'recent deliveries of the app\'s webhooks: status, attempts, last answer',
    async run(ctx) {
      const app = ctx.app();
      const list = await ctx.client().request<Delivery[]>('GET', `/apps/${app}/webhook-deliveries`);
      if (ctx.wantsJson()) return ctx.json(list);
      ctx.out(`=== ${app} Webhook Deliveries`);
      for (const d of list) {
        const last = d.last_attempt ? `${d.last_attempt.code ?? d.last_attempt.error_class}` : '-';
        ctx.out(`${d.id}  ${d.created_at}  ${d.event.include.padEnd(13)} ${d.event.action.padEnd(7)} ${d.status.padEnd(9)} attempts ${d.num_attempts}  last ${last}${d.next_attempt_at ? `  next ${d.next_attempt_at}` : ''}`);
      }
    },
  },
];
