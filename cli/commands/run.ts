import { EXIT_MARKER, parseEndLine, type RunExit } from '../../common/stream-end.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

/** Arguments keep their boundaries when joined into the command line the dyno's shell runs. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const runCommands: Command[] = [
  {
    name: 'run',
    usage: 'paas run [--detached] [-a APP] -- COMMAND ...',
    description: 'run a one-off process in the current release (attached: its output and exit code)',
    async run(ctx) {
      const command = ctx.args.positionals.map(shellQuote).join(' ');
      if (!command) throw new CliError('Usage: paas run COMMAND');
      const app = ctx.app();
      if (ctx.args.flags.detached) {
        const dyno = await ctx.client().request<{ name: string }>('POST', `/apps/${app}/dynos`, { command, attach: false });
        ctx.out(`Running ${command} on ${app}... up, ${dyno.name}`);
        return 0;
      }
      let pending = '';
      let exit: number | null = null;
      await ctx.client().stream(`/apps/${app}/dynos`, (chunk) => {
        pending += chunk;
        const at = pending.indexOf(EXIT_MARKER);
        if (at >= 0) {
          ctx.write(pending.slice(0, Math.max(0, at - 1)));
          exit = parseEndLine<RunExit>(pending.slice(at), EXIT_MARKER).exit_code;
          pending = '';
          return;
        }
        // Hold back a possible partial marker; print the rest.
        const keep = pending.lastIndexOf('\n');
        if (keep >= 0 && exit === null) { ctx.write(pending.slice(0, keep + 1)); pending = pending.slice(keep + 1); }
      }, { method: 'POST', body: { command, attach: true } });
      if (exit === null) throw new CliError('The connection closed before the process ended.');
      return exit;
    },
  },
];
