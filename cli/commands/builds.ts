import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface BuildInfo { id: string; status: string; source_blob: { version: string | null }; created_at: string; failure_reason: string | null }

export const buildsCommands: Command[] = [
  {
    name: 'builds:create',
    usage: 'paas builds:create --source-url URL [--version V] [-a APP] [--json]',
    description: 'build and release a tarball from a URL (no git needed), showing the build output',
    async run(ctx) {
      const url = flag(ctx.args, 'source-url');
      if (!url) throw new CliError('Usage: paas builds:create --source-url URL');
      const app = ctx.app();
      const version = flag(ctx.args, 'version');
      const client = ctx.client();
      const build = await client.request<BuildInfo>('POST', `/apps/${app}/builds`, { source_blob: { url, ...(version ? { version } : {}) } });
      if (ctx.wantsJson()) return ctx.json(build);
      await client.stream(`/apps/${app}/builds/${build.id}/output`, (chunk) => ctx.write(chunk));
      const done = await client.request<BuildInfo>('GET', `/apps/${app}/builds/${build.id}`);
      if (done.status !== 'succeeded') throw new CliError(`Build ${build.id} failed${done.failure_reason ? `: ${done.failure_reason.split('\n')[0]}` : ''}.`);
      ctx.out(`Build ${build.id} succeeded`);
    },
  },
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
