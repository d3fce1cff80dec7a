import { flag } from '../args.ts';
import type { Command } from './types.ts';

export const logsCommands: Command[] = [
  {
    name: 'logs',
    usage: 'paas logs [-a APP] [-n LINES] [-t|--tail] [-d|--dyno web.1] [--source app|paas]',
    description: 'show the app log (dyno output, router and platform lines); --tail follows it',
    async run(ctx) {
      const q = new URLSearchParams({ lines: flag(ctx.args, 'num') ?? flag(ctx.args, 'lines') ?? '100' });
      if (ctx.args.flags.tail) q.set('tail', 'true');
      const dyno = flag(ctx.args, 'dyno');
      if (dyno) q.set('dyno', dyno);
      const source = flag(ctx.args, 'source');
      if (source) q.set('source', source);
      await ctx.client().stream(`/apps/${ctx.app()}/log-stream?${q}`, (chunk) => ctx.write(chunk));
    },
  },
];
