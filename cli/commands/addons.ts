// addons, addons:create/info/attach/detach/destroy (Heroku's names and flags).
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import type { Command } from './types.ts';

export interface AddonInfo {
  id: string; name: string; state: string; error: string | null;
  addon_service: { name: string }; plan: { name: string }; app: { name: string } | null;
  config_vars: string[]; attachments: Array<{ id: string; name: string; app: { name: string } | null }>; created_at: string;
}
interface AttachmentInfo { id: string; name: string; app: { name: string }; addon: { name: string } }

export const appAddons = (ctx: Context, app: string): Promise<AddonInfo[]> =>
  ctx.client().request<AddonInfo[]>('GET', `/apps/${encodeURIComponent(app)}/addons`);

/** An add-on of the app by add-on name, or by attachment name on the app (DATABASE, DATABASE_URL). */
export async function findAppAddon(ctx: Context, app: string, ref: string | undefined, service?: string): Promise<AddonInfo> {
  const all = (await appAddons(ctx, app)).filter((a) => !service || a.addon_service.name === service);
  const kind = service === 'heroku-redis' ? 'Redis' : service === 'heroku-postgresql' ? 'Postgres' : '';
  const attachedAs = (a: AddonInfo, name: string): boolean =>
    a.attachments.some((x) => x.app?.name === app && x.name === name.toUpperCase().replace(/_URL$/, ''));
  if (ref) {
    const found = all.find((a) => a.name === ref || a.id === ref) ?? all.find((a) => attachedAs(a, ref));
    if (!found) throw new CliError(`Couldn't find ${kind ? `a ${kind} add-on` : 'an add-on'} ${ref} on ${app}.`);
    return found;
  }
  const preferred = service === 'heroku-redis' ? 'REDIS' : 'DATABASE';
  const found = all.find((a) => attachedAs(a, preferred)) ?? (all.length === 1 ? all[0] : undefined);
  if (!found) throw new CliError(all.length === 0 ? `${app} has no ${kind || ''} add-on.`.replace('  ', ' ') : `${app} has several: name one of ${all.map((a) => a.name).join(', ')}.`);
  return found;
}

export const addonsCommands: Command[] = [
  {
    name: 'addons',
    aliases: ['addons:list'],
    usage: 'paas addons [-a APP] [--all] [--json]',
    description: 'list the add-ons of an app (or all of yours with --all)',
    async run(ctx) {
      const all = ctx.args.flags.all !== undefined;
      const addons = all ? await ctx.client().request<AddonInfo[]>('GET', '/addons') : await appAddons(ctx, ctx.app());
      if (ctx.wantsJson()) return ctx.json(addons);
      if (addons.length === 0) return ctx.out('No add-ons.');
      for (const a of addons) {
        ctx.out(`${a.name} (${a.plan.name}) ${a.state}${a.error ? `: ${a.error}` : ''}`);
        for (const at of a.attachments) ctx.out(`  as ${at.name} on ${at.app?.name ?? '?'}${at.app?.name === a.app?.name ? ' (created here)' : ''}`);
      }
    },
  },
  {
    name: 'addons:create',
    usage: 'paas addons:create PLAN [--as NAME] [--name ADDON] [-a APP] [--json]',
    description: 'provision an add-on (heroku-postgresql, postgresql, heroku-redis, redis) and attach it',
    async run(ctx) {
      const plan = ctx.args.positionals[0];
      if (!plan) throw new CliError('Usage: paas addons:create PLAN [--as NAME] [--name ADDON]');
      const app = ctx.app();
      const as = flag(ctx.args, 'as');
      const name = flag(ctx.args, 'name');
      const body = { plan, ...(name ? { name } : {}), ...(as ? { attachment: { name: as } } : {}) };
      const addon = await ctx.client().request<AddonInfo>('POST', `/apps/${app}/addons`, body);
      if (ctx.wantsJson()) return ctx.json(addon);
      ctx.out(`Creating ${addon.plan.name} on ${app}... done`);
      ctx.out(`${addon.name} is ${addon.state}, attached as ${addon.config_vars.join(', ')}`);
    },
  },
  {
    name: 'addons:info',
    usage: 'paas addons:info ADDON [-a APP] [--json]',
    description: 'show an add-on: plan, state, attachments',
    async run(ctx) {
      const ref = ctx.args.positionals[0];
      if (!ref) throw new CliError('Usage: paas addons:info ADDON');
      const addon = flag(ctx.args, 'app') || ctx.env.PAAS_APP
        ? await findAppAddon(ctx, ctx.app(), ref)
        : await ctx.client().request<AddonInfo>('GET', `/addons/${encodeURIComponent(ref)}`);
      const live = await ctx.client().request<Record<string, unknown>>('GET', `/addons/${addon.id}/info`);
      if (ctx.wantsJson()) return ctx.json({ ...addon, info: live });
      ctx.out(`=== ${addon.name}`);
      ctx.out(`Attachments:  ${addon.attachments.map((a) => `${a.app?.name}::${a.name}`).join(', ') || '(none)'}`);
      ctx.out(`Installed at: ${addon.created_at}`);
      ctx.out(`Owning app:   ${addon.app?.name ?? '?'}`);
      ctx.out(`Plan:         ${addon.plan.name}`);
      ctx.out(`State:        ${addon.state}${addon.error ? ` (${addon.error})` : ''}`);
      ctx.out(`Server:       ${String(live.server)}`);
    },
  },
  {
    name: 'addons:attach',
    usage: 'paas addons:attach ADDON -a APP [--as NAME]',
    description: 'attach an existing add-on to another app (sets NAME_URL, a new release)',
    async run(ctx) {
      const addon = ctx.args.positionals[0];
      if (!addon) throw new CliError('Usage: paas addons:attach ADDON -a APP [--as NAME]');
      const app = ctx.app();
      const as = flag(ctx.args, 'as');
      const a = await ctx.client().request<AttachmentInfo>('POST', '/addon-attachments', { app, addon, ...(as ? { name: as } : {}) });
      if (ctx.wantsJson()) return ctx.json(a);
      ctx.out(`Attaching ${a.addon.name} as ${a.name} to ${app}... done`);
      ctx.out(`Setting ${a.name}_URL and restarting ${app}... done`);
    },
  },
  {
    name: 'addons:detach',
    usage: 'paas addons:detach ATTACHMENT -a APP',
    description: 'detach an add-on from an app (unsets NAME_URL, a new release)',
    async run(ctx) {
      const name = ctx.args.positionals[0];
      if (!name) throw new CliError('Usage: paas addons:detach ATTACHMENT -a APP');
      const app = ctx.app();
      const attachments = await ctx.client().request<AttachmentInfo[]>('GET', `/apps/${app}/addon-attachments`);
      const a = attachments.find((x) => x.id === name || x.name === name.toUpperCase().replace(/_URL$/, ''))
        ?? (attachments.filter((x) => x.addon.name === name).length === 1 ? attachments.find((x) => x.addon.name === name) : undefined);
      if (!a) throw new CliError(`Couldn't find an attachment ${name} on ${app}.`);
      await ctx.client().request('DELETE', `/addon-attachments/${a.id}`);
      ctx.out(`Detaching ${a.name} (${a.addon.name}) from ${app}... done`);
      ctx.out(`Unsetting ${a.name}_URL and restarting ${app}... done`);
    },
  },
  {
    name: 'addons:destroy',
    aliases: ['addons:remove'],
    usage: 'paas addons:destroy ADDON -a APP --confirm APP [--force]',
    description: 'destroy an add-on: final backup kept 7 days, detached everywhere, data removed (--force: even if the final backup fails)',
    async run(ctx) {
      const ref = ctx.args.positionals[0];
      if (!ref) throw new CliError('Usage: paas addons:destroy ADDON -a APP --confirm APP');
      const app = ctx.app();
      const addon = await findAppAddon(ctx, app, ref);
      const owner = addon.app?.name ?? app;
      if (flag(ctx.args, 'confirm') !== owner) {
        throw new CliError(`This destroys ${addon.name} and its data (a final backup is kept 7 days). Run again with --confirm ${owner}.`);
      }
      const force = ctx.args.flags.force === true;
      await ctx.client().request('DELETE', `/apps/${owner}/addons/${addon.id}`, force ? { force } : undefined);
      ctx.out(`Destroying ${addon.name} on ${owner}... done`);
    },
  },
];
