import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface BuildInfo { id: string; status: string; source_blob: { version: string | null }; created_at: string; failure_reason: string | null }

export const buildsCommands: Command[] = [
  {
    name: 'builds',
    usage: 'paas builds [-a APP] [--json]',
    description: 'list builds, newest first',
    async run(ctx) {
      const app = ctx.app();
      const builds = await ctx.client().request<BuildInfo[]>('GET', `/apps/${app}/builds`);
      if (ctx.wantsJson()) return ctx.json(builds);
      ctx.out(`=== ${app} Builds`);
      for (const b of [...builds].reverse()) {
        ctx.out(`${b.id}  ${b.status.padEnd(9)}  ${(b.source_blob.version ?? '').slice(0, 7).padEnd(7)}  ${b.created_at}`);
      }
    },
  },
  {
    name: 'builds:output',
    usage: 'paas builds:output [BUILD_ID] [-a APP]',
    description: 'print the log of a build (the latest by default)',
    async run(ctx) {
      const app = ctx.app();
      let id = ctx.args.positionals[0];
      const client = ctx.client();
      if (!id) {
        const builds = await client.request<BuildInfo[]>('GET', `/apps/${app}/builds`);
        id = builds[builds.length - 1]?.id;
        if (!id) throw new CliError(`${app} has no builds yet.`);
      }
      ctx.write(await client.text(`/apps/${app}/builds/${id}/output`));
    },
  },
];
