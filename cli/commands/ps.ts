import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import { appAddons } from './addons.ts';
import type { Command } from './types.ts';

interface DynoInfo { name: string; type: string; state: string; command: string | null; size: string; release: { version: number }; created_at: string | null; node?: string | null;
  cpu_percent?: number | null; memory_bytes?: number | null; memory_limit_bytes?: number | null }
interface FormationInfo { type: string; quantity: number; command: string | null }

/** The app's add-ons with their state and their server's (up, restarting, crashed, missing). */
async function printAddonStates(ctx: Context, app: string): Promise<void> {
  const addons = await appAddons(ctx, app);
  if (addons.length === 0) return;
  ctx.out(`=== add-ons (${addons.length})`);
  for (const a of addons) {
    const info = await ctx.client().request<{ server?: string }>('GET', `/addons/${a.id}/info`).catch(() => ({ server: 'unknown' }));
    ctx.out(`${a.name} (${a.plan.name}): ${a.state}, server ${info.server ?? 'unknown'}`);
  }
}

const MiB = 1024 * 1024;

/** "  cpu 3.2%  mem 41/512 MiB" from the collector's last sample; empty before the first. */
function usageText(d: DynoInfo): string {
  const cpu = d.cpu_percent == null ? '' : `  cpu ${d.cpu_percent.toFixed(1)}%`;
  const mem = d.memory_bytes == null ? '' : `  mem ${Math.round(d.memory_bytes / MiB)}${d.memory_limit_bytes == null ? '' : `/${Math.round(d.memory_limit_bytes / MiB)}`} MiB`;
  return cpu + mem;
}

export const psCommands: Command[] = [
  {
    name: 'ps:restart',
    aliases: ['restart'],
    usage: 'paas ps:restart [DYNO|TYPE] [-a APP]',
    description: 'rolling restart of all dynos, one dyno (web.1) or one type (web)',
    async run(ctx) {
      const app = ctx.app();
      const target = ctx.args.positionals[0];
      const res = await ctx.client().request<{ restarted: string[] }>('DELETE', `/apps/${app}/dynos${target ? `/${encodeURIComponent(target)}` : ''}`);
      ctx.out(`Restarting ${res.restarted.join(', ') || 'no'} dynos on ${app}... done`);
    },
  },
  {
    name: 'ps',
    aliases: ['ps:list'],
    usage: 'paas ps [-a APP] [--json]',
    description: 'list dynos',
    async run(ctx) {
      const app = ctx.app();
      const dynos = await ctx.client().request<DynoInfo[]>('GET', `/apps/${app}/dynos`);
      if (ctx.wantsJson()) return ctx.json(dynos);
      if (dynos.length === 0) ctx.out(`No dynos on ${app}`);
      const oneOffs = dynos.filter((d) => d.type === 'run');
      if (oneOffs.length > 0) {
        // Heroku's layout: one-offs first, each with its size and command.
        ctx.out(`=== run: one-off processes (${oneOffs.length})`);
        for (const d of oneOffs) ctx.out(`${d.name} (${d.size}): ${d.state} ${d.created_at ?? ''} v${d.release.version}: ${d.command ?? ''}`);
        ctx.out('');
      }
      for (const type of [...new Set(dynos.filter((d) => d.type !== 'run').map((d) => d.type))]) {
        const ofType = dynos.filter((d) => d.type === type);
        ctx.out(`=== ${type} (${ofType.length}): ${ofType[0].command ?? '(image default)'}`);
        for (const d of ofType) ctx.out(`${d.name}: ${d.state} ${d.created_at ?? ''} v${d.release.version}${d.node ? ` on ${d.node}` : ''}${usageText(d)}`);
        ctx.out('');
      }
      await printAddonStates(ctx, app);
    },
  },
  {
    name: 'ps:stop',
    aliases: ['stop'],
    usage: 'paas ps:stop DYNO [-a APP]',
    description: 'stop a dyno: a one-off (run.1) ends; a formation dyno (web.1) is replaced by a new one',
    async run(ctx) {
      const app = ctx.app();
      const dyno = ctx.args.positionals[0];
      if (!dyno) throw new CliError('Usage: paas ps:stop DYNO, e.g. paas ps:stop run.1');
      await ctx.client().request('POST', `/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(dyno)}/actions/stop`);
      ctx.out(`Stopping ${dyno} dyno on ⬢ ${app}... done`);
    },
  },
  {
    name: 'ps:scale',
    aliases: ['scale'],
    usage: 'paas ps:scale TYPE=N ... [-a APP]',
    description: 'scale process types, e.g. web=3 worker=1',
    async run(ctx) {
      const app = ctx.app();
      if (ctx.args.positionals.length === 0) {
        const f = await ctx.client().request<FormationInfo[]>('GET', `/apps/${app}/formation`);
        if (ctx.wantsJson()) return ctx.json(f);
        return ctx.out(f.map((x) => `${x.type}=${x.quantity}`).join(' '));
      }
      const updates = ctx.args.positionals.map((arg) => {
        const m = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(arg);
        if (!m) throw new CliError(`${arg} is invalid: use TYPE=QUANTITY, e.g. web=3.`);
        return { type: m[1], quantity: Number(m[2]) };
      });
      const f = await ctx.client().request<FormationInfo[]>('PATCH', `/apps/${app}/formation`, { updates });
      ctx.out(`Scaling dynos... done, now running ${f.filter((x) => x.quantity > 0).map((x) => `${x.type} at ${x.quantity}`).join(', ') || 'nothing'}`);
    },
  },
];
