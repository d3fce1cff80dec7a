import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface ReleaseInfo {
  id: string; version: number; description: string; status: string; current: boolean; created_at: string;
  failure_reason: string | null; user: { email: string } | null;
}

export const releasesCommands: Command[] = [
  {
    name: 'releases:rollback',
    aliases: ['rollback'],
    usage: 'paas rollback [vN] [-a APP]',
    description: 'roll back to a release (the one before the current by default): a new release',
    async run(ctx) {
      const app = ctx.app();
      let target = ctx.args.positionals[0]?.replace(/^v/, '');
      if (!target) {
        const all = await ctx.client().request<ReleaseInfo[]>('GET', `/apps/${app}/releases`);
        const current = all.find((r) => r.current);
        const previous = all.filter((r) => r.status === 'succeeded' && current && r.version < current.version).at(-1);
        if (!previous) throw new CliError(`${app} has no earlier release to roll back to.`);
        target = String(previous.version);
      }
      const rel = await ctx.client().request<ReleaseInfo>('POST', `/apps/${app}/releases`, { release: target });
      ctx.out(`Rolling back ${app}... done, v${rel.version} (${rel.description})`);
    },
  },
  {
    name: 'releases',
    usage: 'paas releases [-a APP] [--json]',
    description: 'list releases, newest first',
    async run(ctx) {
      const app = ctx.app();
      const releases = await ctx.client().request<ReleaseInfo[]>('GET', `/apps/${app}/releases`);
      if (ctx.wantsJson()) return ctx.json(releases);
      ctx.out(`=== ${app} Releases`);
      for (const r of [...releases].reverse()) {
        const flag = r.status === 'succeeded' ? (r.current ? ' (current)' : '') : ` (${r.status})`;
        ctx.out(`v${r.version}  ${r.description}${flag}  ${r.user?.email ?? ''}  ${r.created_at}`);
      }
    },
  },
  {
    name: 'releases:info',
    usage: 'paas releases:info [vN] [-a APP] [--json]',
    description: 'show one release (the current one by default)',
    async run(ctx) {
      const app = ctx.app();
      const wanted = ctx.args.positionals[0];
      let release: ReleaseInfo | undefined;
      if (wanted) release = await ctx.client().request<ReleaseInfo>('GET', `/apps/${app}/releases/${wanted.replace(/^v/, '')}`);
      else {
        const all = await ctx.client().request<ReleaseInfo[]>('GET', `/apps/${app}/releases`);
        release = all.find((r) => r.current) ?? all[all.length - 1];
      }
      if (!release) return ctx.out(`${app} has no releases yet.`);
      if (ctx.wantsJson()) return ctx.json(release);
      ctx.out(`=== Release v${release.version}`);
      ctx.out(`Description: ${release.description}`);
      ctx.out(`Status:      ${release.status}${release.current ? ' (current)' : ''}`);
      if (release.failure_reason) ctx.out(`Failure:     ${release.failure_reason.split('\n')[0]}`);
      ctx.out(`By:          ${release.user?.email ?? '-'}`);
      ctx.out(`When:        ${release.created_at}`);
    },
  },
];
