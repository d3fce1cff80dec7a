// paas run / run:detached, as Heroku's CLI has them: the words after the options are one
// command line (bash -c in the dyno); known options are read anywhere before `--`, anything else
// belongs to the command. Attached runs talk common/run-protocol.ts over a websocket.
import type { Parsed } from '../args.ts';
import { CliError } from '../client.ts';
import { attachRun } from '../run-attach.ts';
import type { Context } from '../context.ts';
import type { Command } from './types.ts';

/** Heroku's CLI joins several words with spaces, double-quoting those with a space or a quote
 *  (one word is taken as the whole command line). */
export function buildCommand(words: string[]): string {
  if (words.length === 1) return words[0];
  return words.map((w) => (w.includes(' ') || w.includes('"') ? `"${w.replace(/"/g, '\\"')}"` : w)).join(' ').trim();
}

const VALUE = new Map([['a', 'app'], ['app', 'app'], ['r', 'remote'], ['remote', 'remote'], ['s', 'size'], ['size', 'size'], ['e', 'env'], ['env', 'env'], ['type', 'type']]);
const SWITCH = new Map([['detached', 'detached'], ['x', 'exit-code'], ['exit-code', 'exit-code'], ['no-tty', 'no-tty'], ['no-notify', 'no-notify'], ['t', 'tail'], ['tail', 'tail'], ['json', 'json'], ['h', 'help'], ['help', 'help']]);

/** Options anywhere until `--` (as oclif's non-strict commands); unknown ones are command words. */
export function parseRunArgs(argv: string[]): Parsed {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    const m = /^(?:--([a-z-]+)|-([a-zA-Z]))(?:=(.*))?$/s.exec(arg);
    const name = m ? (m[1] ?? m[2]) : '';
    if (m && VALUE.has(name)) {
      const value = m[3] ?? argv[++i];
      if (value === undefined) throw new CliError(`${arg} needs a value.`);
      flags[VALUE.get(name) as string] = value;
    } else if (m && m[3] === undefined && SWITCH.has(name)) {
      flags[SWITCH.get(name) as string] = true;
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

/** --env "KEY=VALUE;KEY2=VALUE2" (Heroku's form). */
export function parseEnvFlag(value: string | boolean | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (typeof value !== 'string') return env;
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(part);
    if (!m) throw new CliError(`--env ${JSON.stringify(part)} is invalid: use KEY=VALUE;KEY2=VALUE2 (no ';' inside values).`);
    env[m[1]] = m[2];
  }
  return env;
}

interface DynoCreated { name: string; size: string; attach_url: string | null }

function runRequest(ctx: Context, attach: boolean, extraEnv: Record<string, string>, tty: boolean) {
  const command = buildCommand(ctx.args.positionals);
  if (!command.trim()) throw new CliError(`Usage: paas ${attach ? 'run' : 'run:detached'} COMMAND`);
  const { size, type } = ctx.args.flags;
  return {
    command,
    body: {
      command, attach, force_no_tty: attach ? !tty : undefined,
      env: { ...extraEnv, ...parseEnvFlag(ctx.args.flags.env) },
      ...(typeof size === 'string' ? { size } : {}),
      ...(typeof type === 'string' ? { type } : {}),
    },
  };
}

/** run:detached (and `run --detached`): started, its output in the app log. */
async function runDetached(ctx: Context): Promise<void> {
  const app = ctx.app();
  const { command, body } = runRequest(ctx, false, {}, false);
  const dyno = await ctx.client().request<DynoCreated>('POST', `/apps/${encodeURIComponent(app)}/dynos`, body);
  if (ctx.wantsJson()) return ctx.json(dyno);
  ctx.out(`Running ${command} on ⬢ ${app}... up, ${dyno.name} (${dyno.size})`);
  if (ctx.args.flags.tail !== true) {
    ctx.out(`Run paas logs -a ${app} --dyno ${dyno.name} to see its output.`);
    return;
  }
  // Follows its lines until it completes.
  const q = new URLSearchParams({ dyno: dyno.name, tail: 'true', lines: '1500' });
  const done = new AbortController();
  // The dyno's name may have served an earlier run: its lines start at its last "Starting".
  const starting = `[${dyno.name}]: Starting process with command \`${command}\``;
  let pending = '';
  let started = false;
  await ctx.client().stream(`/apps/${encodeURIComponent(app)}/log-stream?${q}`, (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      if (l.includes(starting)) started = true;
      if (!started) continue;
      ctx.out(l);
      if (l.endsWith(`[${dyno.name}]: State changed from up to complete`)) done.abort();
    }
  }, { signal: done.signal });
}

export const runCommands: Command[] = [
  {
    name: 'run',
    usage: 'paas run [-a APP] [-s SIZE] [-e "K=V;K2=V2"] [-x] [--no-tty] [--] COMMAND ...',
    description: 'run a one-off dyno attached: stdin, output and exit status (a TTY when stdin is one)',
    parse: parseRunArgs,
    async run(ctx) {
      if (ctx.args.flags.detached === true) return runDetached(ctx);
      const app = ctx.app();
      const stdin = process.stdin;
      const tty = Boolean(stdin.isTTY) && ctx.args.flags['no-tty'] !== true;
      const size = process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : null;
      const env: Record<string, string> = {};
      if (tty) env.TERM = ctx.env.TERM || 'xterm-256color';
      if (size) { env.COLUMNS = String(size.cols); env.LINES = String(size.rows); }
      const { command, body } = runRequest(ctx, true, env, tty);
      const client = ctx.client();
      const dyno = await client.request<DynoCreated>('POST', `/apps/${encodeURIComponent(app)}/dynos`, body);
      if (!dyno.attach_url) throw new CliError('The API gave no attach URL for the run.');
      return attachRun({
        url: dyno.attach_url,
        token: client.token,
        tty,
        // On stderr, as Heroku's CLI does: stdout is the process's alone.
        onStarted: () => process.stderr.write(`Running ${command} on ⬢ ${app}... up, ${dyno.name} (${dyno.size})\n`),
      });
    },
  },
  {
    name: 'run:detached',
    usage: 'paas run:detached [-a APP] [-s SIZE] [-e "K=V;K2=V2"] [-t] [--] COMMAND ...',
    description: 'run a one-off dyno in the background; its output goes to paas logs --dyno run.N (--tail follows it)',
    parse: parseRunArgs,
    run: runDetached,
  },
];
