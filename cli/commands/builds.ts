import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag } from '../args.ts';
import type { ApiSchemas } from '../api-client.ts';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import { packDirectory } from '../pack.ts';
import type { Command } from './types.ts';

type BuildInfo = ApiSchemas['Build'];
type ReleaseInfo = ApiSchemas['Release'];

const gitHead = (dir: string): string | undefined => {
  try { return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined; } catch { return undefined; }
};

/** Uploads a tarball (or the packed directory) through POST /apps/:app/sources; returns its get_url. */
async function upload(ctx: Context, app: string, tarball: string | null, dir: string): Promise<string> {
  const client = ctx.client();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-source-'));
  try {
    let file = tarball;
    if (!file) {
      if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${dir} is not a directory.`);
      file = path.join(tmp, 'source.tgz');
      const { files, ignored } = await packDirectory(dir, file);
      if (!ctx.wantsJson()) ctx.out(`Packed ${files} files of ${dir}${ignored ? ` (${ignored} left out by .slugignore/.git)` : ''}`);
    } else if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new CliError(`${file} is not a file.`);
    }
    const { source_blob: blob } = await client.request<ApiSchemas['Source']>('POST', `/apps/${app}/sources`);
    const size = fs.statSync(file).size;
    if (size > blob.max_bytes) throw new CliError(`The source is ${size} bytes, more than the platform's limit of ${blob.max_bytes}.`);
    await client.upload(blob.put_url, file);
    return blob.get_url;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export const buildsCommands: Command[] = [
  {
    name: 'builds:create',
    usage: 'paas builds:create [--dir DIR | --tarball FILE (--source-tar) | --source-url URL] [--version V] [-a APP] [--json]',
    description: 'build and release a directory (default: the current one; .slugignore respected), a tarball or a URL, without git; shows the build output',
    async run(ctx) {
      const app = ctx.app();
      const client = ctx.client();
      const url = flag(ctx.args, 'source-url');
      const tarball = flag(ctx.args, 'tarball') ?? flag(ctx.args, 'source-tar');
      if ([url, tarball, flag(ctx.args, 'dir')].filter(Boolean).length > 1) throw new CliError('Give one of --dir, --tarball and --source-url.');
      const dir = path.resolve(flag(ctx.args, 'dir') ?? '.');
      const version = flag(ctx.args, 'version') ?? (url || tarball ? undefined : gitHead(dir));
      const sourceUrl = url ?? await upload(ctx, app, tarball ? path.resolve(tarball) : null, dir);
      const build = await client.request<BuildInfo>('POST', `/apps/${app}/builds`, { source_blob: { url: sourceUrl, ...(version ? { version } : {}) } });
      if (ctx.wantsJson()) return ctx.json(build);
      await client.stream(`/apps/${app}/builds/${build.id}/output`, (chunk) => ctx.write(chunk));
      const done = await client.request<BuildInfo>('GET', `/apps/${app}/builds/${build.id}`);
      if (done.status !== 'succeeded') throw new CliError(`Build ${build.id} failed${done.failure_reason ? `: ${done.failure_reason.split('\n')[0]}` : ''}.`);
      const releases = await client.request<ReleaseInfo[]>('GET', `/apps/${app}/releases`);
      const release = releases.find((r) => r.slug?.id === build.id);
      if (release && release.status !== 'succeeded') throw new CliError(`Release v${release.version} of build ${build.id} ${release.status}${release.failure_reason ? `: ${release.failure_reason.split('\n')[0]}` : ''}.`);
      ctx.out(`Build ${build.id} succeeded${release ? `, released as v${release.version}` : ''}`);
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
