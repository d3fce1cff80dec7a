// paas builds:cancel, builds:queue and builds:cache:purge (Heroku's builds plugin has the first
// and last: DELETE /apps/:app/builds/:build and DELETE /apps/:app/build-cache).
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface BuildInfo { id: string; status: string }
interface QueueInfo { length: number; running: number; builds: Array<{ id: string; state: 'queued' | 'building'; position: number | null; created_at: string | null }> }

export const buildControlCommands: Command[] = [
  {
    name: 'builds:cancel',
    usage: 'paas builds:cancel [BUILD_ID] [-a APP]',
    description: 'cancel a pending build (the latest by default): queued, or running',
    async run(ctx) {
      const app = ctx.app();
      const client = ctx.client();
      let id = ctx.args.positionals[0];
      if (!id) {
        const builds = await client.request<BuildInfo[]>('GET', `/apps/${app}/builds`);
        const latest = builds.at(-1);
        if (!latest) throw new CliError(`${app} has no builds.`);
        if (latest.status !== 'pending') throw new CliError(`Can only cancel pending builds. Build ${latest.id} has status '${latest.status}'.`);
        id = latest.id;
      }
      await client.request('DELETE', `/apps/${app}/builds/${id}`);
      ctx.out(`Stopping build ${id}... done`);
    },
  },
  {
    name: 'builds:queue',
    usage: 'paas builds:queue [-a APP] [--json]',
    description: "the app's unfinished builds: building, or queued with their position",
    async run(ctx) {
      const app = ctx.app();
      const q = await ctx.client().request<QueueInfo>('GET', `/apps/${app}/build-queue`);
      if (ctx.wantsJson()) return ctx.json(q);
      ctx.out(`=== ${app} Build queue (platform: ${q.running} building, ${q.length} queued)`);
      if (q.builds.length === 0) ctx.out(`${app} has no unfinished builds.`);
      for (const b of q.builds) ctx.out(`${b.id}  ${b.state === 'building' ? 'building' : `queued, position ${b.position}`}  ${b.created_at ?? ''}`);
    },
  },
  {
    name: 'builds:cache:purge',
    usage: 'paas builds:cache:purge -a APP --confirm APP',
    description: "delete the app's build cache; the next build starts from nothing",
    async run(ctx) {
      const app = ctx.app();
      if (flag(ctx.args, 'confirm') !== app) {
        throw new CliError(`This deletes the build cache of ${app} (the next build installs everything again). Run again with --confirm ${app}.`);
      }
      await ctx.client().request('DELETE', `/apps/${app}/build-cache`);
      ctx.out(`Purging build cache for ${app}... done`);
    },
  },
];
