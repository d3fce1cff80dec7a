// pg:backups* and redis:backups* (Heroku's pg:backups names and flags, one set of commands per
// topic): list, capture, restore, download, schedule, unschedule. DATABASE arguments name an
// add-on or its attachment on the app; default: DATABASE / REDIS.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import { findAppAddon } from './addons.ts';
import type { Command } from './types.ts';

interface BackupInfo { name: string; status: string; error: string | null; size: number | null; created_at: string; finished_at: string | null; kind: string; expires_at: string | null }

const human = (n: number | null): string => (n === null ? '' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

interface Topic {
  /** pg or redis. */
  topic: string;
  service: string;
  /** What a capture runs and how it is checked, for the help. */
  how: string;
  /** Extension of downloaded files. */
  ext: string;
}

export function backupCommands({ topic, service, how, ext }: Topic): Command[] {
  const find = (ctx: Context, ref?: string) => findAppAddon(ctx, ctx.app(), ref, service);
  return [
    {
      name: `${topic}:backups`,
      aliases: [`${topic}:backups:list`],
      usage: `paas ${topic}:backups [DATABASE] [-a APP] [--json]`,
      description: 'list backups, with their state (a failed one shows its error) and size',
      async run(ctx) {
        const addon = await find(ctx, ctx.args.positionals[0]);
        const backups = await ctx.client().request<BackupInfo[]>('GET', `/addons/${addon.id}/backups`);
        if (ctx.wantsJson()) return ctx.json(backups);
        ctx.out(`=== Backups of ${addon.name}`);
        if (backups.length === 0) ctx.out(`No backups. Capture one with paas ${topic}:backups:capture`);
        for (const b of backups.reverse()) {
          const state = b.status === 'succeeded' ? `Completed ${b.finished_at ?? ''}` : b.status === 'failed' ? `FAILED: ${b.error ?? ''}` : 'Running';
          ctx.out(`${b.name}  ${b.created_at}  ${state}  ${human(b.size)}${b.expires_at ? `  (kept until ${b.expires_at})` : ''}`);
        }
        const schedule = await ctx.client().request<{ at: string; timezone: string }>('GET', `/addons/${addon.id}/backup-schedule`).catch(() => null);
        ctx.out('');
        ctx.out(schedule ? `=== Schedule: daily at ${schedule.at} ${schedule.timezone}` : '=== No backup schedule');
      },
    },
    {
      name: `${topic}:backups:capture`,
      usage: `paas ${topic}:backups:capture [DATABASE] [-a APP]`,
      description: `back up now (${how})`,
      async run(ctx) {
        const addon = await find(ctx, ctx.args.positionals[0]);
        ctx.write(`Backing up ${addon.name}... `);
        const b = await ctx.client().request<BackupInfo>('POST', `/addons/${addon.id}/backups`);
        ctx.out(`done, ${b.name} (${human(b.size)}, verified)`);
      },
    },
    {
      name: `${topic}:backups:restore`,
      usage: `paas ${topic}:backups:restore [BACKUP] [DATABASE] -a APP --confirm APP`,
      description: "replace the database's contents with a backup (b001, or ADDON::b001 of another add-on; default the latest)",
      async run(ctx) {
        const app = ctx.app();
        const [backup, database] = ctx.args.positionals;
        const addon = await find(ctx, database);
        if (flag(ctx.args, 'confirm') !== app) {
          throw new CliError(`This replaces all data in ${addon.name} with ${backup ?? 'the latest backup'}. Run again with --confirm ${app}.`);
        }
        ctx.write(`Restoring ${backup ?? 'the latest backup'} into ${addon.name}... `);
        const r = await ctx.client().request<{ backup: { name: string; addon: { name: string } } }>('POST', `/addons/${addon.id}/restores`, backup ? { backup } : {});
        ctx.out(`done (${r.backup.addon.name} ${r.backup.name})`);
      },
    },
    {
      name: `${topic}:backups:download`,
      usage: `paas ${topic}:backups:download [BACKUP] [-o FILE] [-a APP]`,
      description: `download a backup (default the latest) to FILE (default latest.${ext})`,
      async run(ctx) {
        const addon = await find(ctx, ctx.args.positionals[1]);
        const backup = ctx.args.positionals[0] ?? 'latest';
        const file = flag(ctx.args, 'o') ?? flag(ctx.args, 'output') ?? `latest.${ext}`;
        const ref = backup === 'latest' ? ((await ctx.client().request<BackupInfo[]>('GET', `/addons/${addon.id}/backups`)).filter((b) => b.status === 'succeeded').at(-1)?.name) : backup;
        if (!ref) throw new CliError(`${addon.name} has no successful backup.`);
        const res = await ctx.client().raw('GET', `/addons/${addon.id}/backups/${encodeURIComponent(ref)}/download`);
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), fs.createWriteStream(file));
        ctx.out(`Downloaded ${ref} of ${addon.name} to ${file} (${human(fs.statSync(file).size)})`);
      },
    },
    {
      name: `${topic}:backups:schedule`,
      usage: `paas ${topic}:backups:schedule [DATABASE] --at "02:00 UTC" [-a APP]`,
      description: 'back up daily at a time of day; keeps 7 daily and 4 weekly backups',
      async run(ctx) {
        const at = flag(ctx.args, 'at');
        if (!at) throw new CliError(`Usage: paas ${topic}:backups:schedule [DATABASE] --at "02:00 UTC"`);
        const addon = await find(ctx, ctx.args.positionals[0]);
        const s = await ctx.client().request<{ at: string; timezone: string }>('PUT', `/addons/${addon.id}/backup-schedule`, { at });
        ctx.out(`Scheduled daily backups of ${addon.name} at ${s.at} ${s.timezone}`);
      },
    },
    {
      name: `${topic}:backups:unschedule`,
      usage: `paas ${topic}:backups:unschedule [DATABASE] [-a APP]`,
      description: 'stop scheduled backups',
      async run(ctx) {
        const addon = await find(ctx, ctx.args.positionals[0]);
        await ctx.client().request('DELETE', `/addons/${addon.id}/backup-schedule`);
        ctx.out(`Stopped scheduled backups of ${addon.name}`);
      },
    },
  ];
}
