// paas buildpacks[:add|:set|:remove|:clear]: the app's buildpack list, as Heroku's CLI has it.
// Every change is a PUT of the whole list to /apps/:app/buildpack-installations.
import { flag } from '../args.ts';
import { CliError, type Client } from '../client.ts';
import type { Context } from '../context.ts';
import type { Command } from './types.ts';

interface Installation { ordinal: number; buildpack: { url: string; name: string } }

async function current(client: Client, app: string): Promise<string[]> {
  const list = await client.request<Installation[]>('GET', `/apps/${app}/buildpack-installations`);
  return list.sort((a, b) => a.ordinal - b.ordinal).map((i) => i.buildpack.url);
}

async function put(client: Client, app: string, list: string[]): Promise<string[]> {
  const saved = await client.request<Installation[]>('PUT', `/apps/${app}/buildpack-installations`, { updates: list.map((buildpack) => ({ buildpack })) });
  return saved.map((i) => i.buildpack.url);
}

/** Reads the app's list, changes it in place, puts it back and says what the next release uses. */
async function edit(ctx: Context, done: string, change: (list: string[], app: string) => void): Promise<void> {
  const app = ctx.app();
  const client = ctx.client();
  const list = await current(client, app);
  change(list, app);
  printNext(ctx, app, done, await put(client, app, list));
}

/** --index N / -i N: 1-based; undefined when absent. */
function indexFlag(ctx: Context, max: number): number | undefined {
  const raw = flag(ctx.args, 'index') ?? flag(ctx.args, 'i');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`Invalid index ${raw}: use 1 to ${max}.`);
  return n;
}

function printNext(ctx: Context, app: string, what: string, list: string[]): void {
  if (list.length === 0) ctx.out(`${what} Next release on ${app} will detect buildpacks normally.`);
  else if (list.length === 1) ctx.out(`${what} Next release on ${app} will use ${list[0]}.`);
  else {
    ctx.out(`${what} Next release on ${app} will use:`);
    list.forEach((b, i) => ctx.out(`  ${i + 1}. ${b}`));
  }
  if (list.length > 0) ctx.out(`Run git push to create a new release using ${list.length === 1 ? 'this buildpack' : 'these buildpacks'}.`);
}

function urlArg(ctx: Context, usage: string): string {
  const url = ctx.args.positionals[0];
  if (!url) throw new CliError(`Usage: ${usage}`);
  return url;
}

const ADD = 'paas buildpacks:add NAME_OR_URL [--index N] [-a APP]';
const SET = 'paas buildpacks:set NAME_OR_URL [--index N] [-a APP]';

export const buildpacksCommands: Command[] = [
  {
    name: 'buildpacks',
    usage: 'paas buildpacks [-a APP] [--json]',
    description: "list the app's buildpacks (none: detected at each build)",
    async run(ctx) {
      const app = ctx.app();
      const list = await current(ctx.client(), app);
      if (ctx.wantsJson()) return ctx.json(list);
      if (list.length === 0) return ctx.out(`${app} has no Buildpack URL set.`);
      ctx.out(`=== ${app} Buildpack URL${list.length > 1 ? 's' : ''}`);
      if (list.length === 1) ctx.out(list[0]);
      else list.forEach((b, i) => ctx.out(`${i + 1}. ${b}`));
    },
  },
  {
    name: 'buildpacks:add',
    usage: ADD,
    description: 'add a buildpack (a shipped name, a git URL with an optional #ref, or a path); last by default',
    async run(ctx) {
      const url = urlArg(ctx, ADD);
      await edit(ctx, 'Buildpack added.', (list) => {
        if (list.includes(url)) throw new CliError(`The buildpack ${url} is already set on your app.`);
        const index = indexFlag(ctx, list.length + 1) ?? list.length + 1;
        list.splice(index - 1, 0, url);
      });
    },
  },
  {
    name: 'buildpacks:set',
    usage: SET,
    description: 'set the buildpack at an index (1 by default), replacing the one there',
    async run(ctx) {
      const url = urlArg(ctx, SET);
      await edit(ctx, 'Buildpack set.', (list) => {
        const index = indexFlag(ctx, list.length + 1) ?? 1;
        if (list.includes(url) && list[index - 1] !== url) throw new CliError(`The buildpack ${url} is already set on your app.`);
        list.splice(index - 1, 1, url);
      });
    },
  },
  {
    name: 'buildpacks:remove',
    usage: 'paas buildpacks:remove [NAME_OR_URL] [--index N] [-a APP]',
    description: 'remove a buildpack, by name/URL or index',
    async run(ctx) {
      await edit(ctx, 'Buildpack removed.', (list, app) => {
        if (list.length === 0) throw new CliError(`${app} has no buildpacks to remove.`);
        const url = ctx.args.positionals[0];
        const index = url === undefined ? indexFlag(ctx, list.length) : list.indexOf(url) + 1;
        if (!index) throw new CliError(url === undefined ? 'Give a buildpack or --index N.' : `${url} is not a buildpack of ${app}.`);
        list.splice(index - 1, 1);
      });
    },
  },
  {
    name: 'buildpacks:clear',
    usage: 'paas buildpacks:clear [-a APP]',
    description: 'remove every buildpack: the next build detects them again',
    async run(ctx) {
      const app = ctx.app();
      printNext(ctx, app, 'Buildpacks cleared.', await put(ctx.client(), app, []));
    },
  },
];
