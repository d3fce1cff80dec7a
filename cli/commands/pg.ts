// pg:* and redis:* (Heroku's names and flags). DATABASE arguments name an add-on or its
// attachment on the app (DATABASE, DATABASE_URL, HEROKU_POSTGRESQL_X); default: DATABASE/REDIS.
// pg:psql and redis:cli run the client next to the server and attach to it as `paas run` does.
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import { attachRun } from '../run-attach.ts';
import { backupCommands } from './addon-backups.ts';
import { findAppAddon, type AddonInfo } from './addons.ts';
import type { Command } from './types.ts';

const PG = 'heroku-postgresql';
const REDIS = 'heroku-redis';

const pgAddon = (ctx: Context, ref?: string) => findAppAddon(ctx, ctx.app(), ref, PG);

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

/** psql or redis-cli in a session on the platform, attached to this terminal: a TTY when stdin
 *  is one and no command is given (an interactive session), else pipes (a command, or input on
 *  stdin). Resolves with the client's exit status. */
async function attachClient(ctx: Context, addon: AddonInfo, body: { command?: string; args?: string[] }): Promise<number> {
  const tty = Boolean(process.stdin.isTTY) && body.command === undefined && !body.args?.length;
  const size = tty && process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {};
  const client = ctx.client();
  const session = await client.request<{ name: string; attach_url: string }>('POST', `/addons/${addon.id}/client-sessions`, {
    ...body, app: ctx.app(), tty, ...(tty ? { term: ctx.env.TERM || 'xterm-256color', ...size } : {}),
  });
  return attachRun({
    url: session.attach_url,
    token: client.token,
    tty,
    // On stderr, as Heroku's CLI does: stdout is the client's alone.
    onStarted: () => { if (tty) process.stderr.write(`--> Connecting to ${addon.name}\n`); },
  });
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
    description: 'psql on the database: an interactive session on a terminal, -c "SQL", or psql input on stdin; exits with its status',
    async run(ctx) {
      const addon = await pgAddon(ctx, ctx.args.positionals[0]);
      const command = flag(ctx.args, 'c') ?? flag(ctx.args, 'command');
      if (ctx.args.flags.c === true || ctx.args.flags.command === true) throw new CliError('Usage: paas pg:psql [DATABASE] -c "SQL"');
      return attachClient(ctx, addon, command !== undefined ? { command } : {});
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
  ...backupCommands({ topic: 'pg', service: PG, how: 'pg_dump -Fc, verified with pg_restore --list', ext: 'dump' }),
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
    description: 'redis-cli on the add-on: an interactive session on a terminal, a command (after --), or commands on stdin; exits with its status',
    async run(ctx) {
      const app = ctx.app();
      const [first, ...rest] = ctx.args.positionals;
      // The first word names the add-on if it is one of the app's; otherwise it starts the command.
      const named = first ? await findAppAddon(ctx, app, first, REDIS).catch(() => null) : null;
      const addon = named ?? await findAppAddon(ctx, app, undefined, REDIS);
      const args = named ? rest : ctx.args.positionals;
      return attachClient(ctx, addon, args.length > 0 ? { args } : {});
    },
  },
  ...backupCommands({ topic: 'redis', service: REDIS, how: 'an RDB snapshot with redis-cli --rdb, verified with redis-check-rdb', ext: 'rdb' }),
];
