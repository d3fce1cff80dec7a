// pg:* and redis:* (Heroku's names and flags). DATABASE arguments name an add-on or its
// attachment on the app (DATABASE, DATABASE_URL, HEROKU_POSTGRESQL_X); default: DATABASE/REDIS.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import { findAppAddon } from './addons.ts';
import type { Command } from './types.ts';

const PG = 'heroku-postgresql';
const REDIS = 'heroku-redis';

interface BackupInfo { name: string; status: string; error: string | null; size: number | null; created_at: string; finished_at: string | null; kind: string; expires_at: string | null }
interface ClientResult { exit_code: number; output: string }

const pgAddon = (ctx: Context, ref?: string) => findAppAddon(ctx, ctx.app(), ref, PG);

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** pg:info and redis:info: the add-on's live info, as a list or JSON. */
async function showInfo(ctx: Context, service: string): Promise<void> {
  const addon = await findAppAddon(ctx, ctx.app(), ctx.args.positionals[0], service);
  const info = await ctx.client().request<Record<string, unknown>>('GET', `/addons/${addon.id}/info`);
  if (ctx.wantsJson()) return ctx.json(info);
  ctx.out(`=== ${addon.name} (${addon.config_vars.join(', ')})`);
  const keys = Object.keys(info).filter((k) => k !== 'name');
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  for (const k of keys) ctx.out(`${`${k}:`.padEnd(width)}${String(info[k])}`);
}

const human = (n: number | null): string => (n === null ? '' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

/** Prints a client's output and returns its exit status. */
function finish(ctx: Context, r: ClientResult): number {
  ctx.write(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
  return r.exit_code;
}

export const pgCommands: Command[] = [
  {
    name: 'pg:info',
    aliases: ['pg'],
    usage: 'paas pg:info [DATABASE] [-a APP] [--json]',
    description: 'Postgres add-on: state, version, size, connections, tables',
    run: (ctx) => showInfo(ctx, PG),
  },
  {
    name: 'pg:psql',
    usage: 'paas pg:psql [DATABASE] [-c SQL] [-a APP]',
    description: 'run SQL with psql: -c "SQL", or psql input on stdin (interactive sessions: see docs/addons.md)',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      const command = flag(ctx.args, 'c') ?? flag(ctx.args, 'command');
      if (command === undefined && process.stdin.isTTY) {
        ctx.out(`--> Connecting to ${addon.name}: type SQL, end with Ctrl-D (it runs when input ends)`);
      }
      const body = command !== undefined ? { command } : { script: await readStdin() };
      return finish(ctx, await ctx.client().request<ClientResult>('POST', `/addons/${addon.id}/actions/psql`, body));
    },
  },
  {
    name: 'pg:credentials:rotate',
    usage: 'paas pg:credentials:rotate [DATABASE] -a APP --confirm APP',
    description: 'new password; sessions end; attached apps get the new URL (a release each)',
    async run(ctx) {
      const app = ctx.app();
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      if (flag(ctx.args, 'confirm') !== app) throw new CliError(`This ends every connection to ${addon.name}. Run again with --confirm ${app}.`);
      await ctx.client().request('POST', `/addons/${addon.id}/actions/rotate-credentials`);
      ctx.out(`Rotating credentials of ${addon.name}... done`);
    },
  },
  {
    name: 'pg:backups',
    aliases: ['pg:backups:list'],
    usage: 'paas pg:backups [DATABASE] [-a APP] [--json]',
    description: 'list backups, with their state (a failed one shows its error) and size',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      const backups = await ctx.client().request<BackupInfo[]>('GET', `/addons/${addon.id}/backups`);
      if (ctx.wantsJson()) return ctx.json(backups);
      ctx.out(`=== Backups of ${addon.name}`);
      if (backups.length === 0) ctx.out('No backups. Capture one with paas pg:backups:capture');
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
    name: 'pg:backups:capture',
    usage: 'paas pg:backups:capture [DATABASE] [-a APP]',
    description: 'back up now (pg_dump -Fc, verified with pg_restore --list)',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      ctx.write(`Backing up ${addon.name}... `);
      const b = await ctx.client().request<BackupInfo>('POST', `/addons/${addon.id}/backups`);
      ctx.out(`done, ${b.name} (${human(b.size)}, verified)`);
    },
  },
  {
    name: 'pg:backups:restore',
    usage: 'paas pg:backups:restore [BACKUP] [DATABASE] -a APP --confirm APP',
    description: "replace the database's contents with a backup (b001, or ADDON::b001 of another add-on; default the latest)",
    async run(ctx) {
      const app = ctx.app();
      const [backup, database] = ctx.args.positionals;
      const addon = await pgAddon(ctx, database);
      if (flag(ctx.args, 'confirm') !== app) {
        throw new CliError(`This replaces all data in ${addon.name} with ${backup ?? 'the latest backup'}. Run again with --confirm ${app}.`);
      }
      ctx.write(`Restoring ${backup ?? 'the latest backup'} into ${addon.name}... `);
      const r = await ctx.client().request<{ backup: { name: string; addon: { name: string } } }>('POST', `/addons/${addon.id}/restores`, backup ? { backup } : {});
      ctx.out(`done (${r.backup.addon.name} ${r.backup.name})`);
    },
  },
  {
    name: 'pg:backups:download',
    usage: 'paas pg:backups:download [BACKUP] [-o FILE] [-a APP]',
    description: 'download a backup (default the latest) to FILE (default latest.dump)',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[1]);
      const backup = ctx.args.positionals[0] ?? 'latest';
      const file = flag(ctx.args, 'o') ?? flag(ctx.args, 'output') ?? 'latest.dump';
      const ref = backup === 'latest' ? ((await ctx.client().request<BackupInfo[]>('GET', `/addons/${addon.id}/backups`)).filter((b) => b.status === 'succeeded').at(-1)?.name) : backup;
      if (!ref) throw new CliError(`${addon.name} has no successful backup.`);
      const res = await ctx.client().raw('GET', `/addons/${addon.id}/backups/${encodeURIComponent(ref)}/download`);
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), fs.createWriteStream(file));
      ctx.out(`Downloaded ${ref} of ${addon.name} to ${file} (${human(fs.statSync(file).size)})`);
    },
  },
  {
    name: 'pg:backups:schedule',
    usage: 'paas pg:backups:schedule [DATABASE] --at "02:00 UTC" [-a APP]',
    description: 'back up daily at a time of day; keeps 7 daily and 4 weekly backups',
    async run(ctx) {
      const at = flag(ctx.args, 'at');
      if (!at) throw new CliError('Usage: paas pg:backups:schedule [DATABASE] --at "02:00 UTC"');
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      const s = await ctx.client().request<{ at: string; timezone: string }>('PUT', `/addons/${addon.id}/backup-schedule`, { at });
      ctx.out(`Scheduled daily backups of ${addon.name} at ${s.at} ${s.timezone}`);
    },
  },
  {
    name: 'pg:backups:unschedule',
    usage: 'paas pg:backups:unschedule [DATABASE] [-a APP]',
    description: 'stop scheduled backups',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      await ctx.client().request('DELETE', `/addons/${addon.id}/backup-schedule`);
      ctx.out(`Stopped scheduled backups of ${addon.name}`);
    },
  },
  {
    name: 'redis:info',
    aliases: ['redis'],
    usage: 'paas redis:info [DATABASE] [-a APP] [--json]',
    description: 'Redis add-on: state, version, memory, clients, AOF',
    run: (ctx) => showInfo(ctx, REDIS),
  },
  {
    name: 'redis:cli',
    usage: 'paas redis:cli [DATABASE] [-a APP] [-- COMMAND ARGS...]',
    description: 'run redis-cli: a command (after --), or commands on stdin (one a line)',
    async run(ctx) {
      const app = ctx.app();
      const [first, ...rest] = ctx.args.positionals;
      // The first word names the add-on if it is one of the app's; otherwise it starts the command.
      const named = first ? await findAppAddon(ctx, app, first, REDIS).catch(() => null) : null;
      const addon = named ?? await findAppAddon(ctx, app, undefined, REDIS);
      const args = named ? rest : ctx.args.positionals;
      const body = args.length > 0 ? { args } : { script: await readStdin() };
      return finish(ctx, await ctx.client().request<ClientResult>('POST', `/addons/${addon.id}/actions/redis-cli`, body));
    },
  },
];
