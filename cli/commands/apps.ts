import { execFileSync } from 'node:child_process';
import { flag } from '../args.ts';
import { CliError } from '../client.ts';
import { appFromRemote } from '../context.ts';
import type { AppInfo, Command } from './types.ts';

export const appsCommands: Command[] = [
  {
    name: 'apps',
    aliases: ['apps:list'],
    usage: 'paas apps [--json]',
    description: 'list your apps',
    async run(ctx) {
      const apps = await ctx.client().request<AppInfo[]>('GET', '/apps');
      if (ctx.wantsJson()) return ctx.json(apps);
      ctx.out('=== Apps');
      for (const a of apps) ctx.out(a.name);
      if (apps.length === 0) ctx.out('You have no apps.');
    },
  },
  {
    name: 'apps:create',
    aliases: ['create'],
    usage: 'paas apps:create [NAME] [--remote paas] [--json]',
    description: 'create an app (a random name if none is given)',
    async run(ctx) {
      const name = ctx.args.positionals[0];
      const app = await ctx.client().request<AppInfo>('POST', '/apps', name ? { name } : {});
      if (inGitRepo()) addRemote(flag(ctx.args, 'remote') ?? 'paas', app.git_url);
      if (ctx.wantsJson()) return ctx.json(app);
      ctx.out(`Creating ${app.name}... done`);
      ctx.out(`${app.web_url} | ${app.git_url}`);
    },
  },
  {
    name: 'apps:info',
    aliases: ['info'],
    usage: 'paas apps:info [-a APP] [--json]',
    description: 'show an app',
    async run(ctx) {
      const app = await ctx.client().request<AppInfo>('GET', `/apps/${ctx.app()}`);
      if (ctx.wantsJson()) return ctx.json(app);
      ctx.out(`=== ${app.name}`);
      ctx.out(`Git URL:     ${app.git_url}`);
      ctx.out(`Web URL:     ${app.web_url}`);
      ctx.out(`Owner:       ${app.owner?.email ?? '-'}`);
      ctx.out(`Stack:       ${app.stack.name}`);
      ctx.out(`Created:     ${app.created_at}`);
      ctx.out(`Released:    ${app.released_at ?? 'never'}`);
      ctx.out(`Maintenance: ${app.maintenance ? 'on' : 'off'}`);
    },
  },
  {
    name: 'apps:rename',
    aliases: ['rename'],
    usage: 'paas apps:rename NEWNAME [-a APP] [--remote paas] [--json]',
    description: 'rename an app: new web and git URLs; updates the git remote here if it pointed to the app',
    async run(ctx) {
      const name = ctx.args.positionals[0];
      if (!name) throw new CliError('Give the new name: paas apps:rename NEWNAME [-a APP].');
      const old = ctx.app();
      const app = await ctx.client().request<AppInfo>('PATCH', `/apps/${old}`, { name });
      const remote = flag(ctx.args, 'remote') ?? 'paas';
      const moveRemote = inGitRepo() && appFromRemote(remote) === old;
      if (moveRemote) addRemote(remote, app.git_url);
      if (ctx.wantsJson()) return ctx.json(app);
      ctx.out(`Renaming ${old} to ${app.name}... done`);
      ctx.out(`${app.web_url} | ${app.git_url}`);
      if (moveRemote) ctx.out(`Git remote ${remote} updated`);
      ctx.out(` !    Don't forget to update git remotes for all other local checkouts of the app.`);
    },
  },
  {
    name: 'apps:destroy',
    aliases: ['destroy'],
    usage: 'paas apps:destroy -a APP --confirm APP',
    description: 'delete an app: its processes, routes, repository, images and releases',
    async run(ctx) {
      const app = ctx.args.positionals[0] ?? ctx.app();
      if (flag(ctx.args, 'confirm') !== app) {
        throw new CliError(`This deletes ${app} and everything it has. Run again with --confirm ${app}.`);
      }
      await ctx.client().request('DELETE', `/apps/${app}`);
      ctx.out(`Destroying ${app}... done`);
    },
  },
  {
    name: 'git:remote',
    usage: 'paas git:remote -a APP [--remote paas]',
    description: 'add a git remote for an app',
    async run(ctx) {
      const app = await ctx.client().request<AppInfo>('GET', `/apps/${ctx.app()}`);
      if (!inGitRepo()) throw new CliError('Not inside a git repository.');
      const remote = flag(ctx.args, 'remote') ?? 'paas';
      addRemote(remote, app.git_url);
      ctx.out(`set git remote ${remote} to ${app.git_url}`);
    },
  },
];

function inGitRepo(): boolean {
  try {
    execFileSync('git', ['rev-parse', '--git-dir'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function addRemote(remote: string, url: string): void {
  try {
    execFileSync('git', ['remote', 'set-url', remote, url], { stdio: 'ignore' });
  } catch {
    execFileSync('git', ['remote', 'add', remote, url], { stdio: 'ignore' });
  }
}
