// Bare repositories, one per app, each with the platform's pre-receive hook.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const HOOK_ENTRY = fileURLToPath(new URL('./pre-receive.ts', import.meta.url));

export interface HookTarget {
  /** Internal URL the hook posts the pushed source to. */
  url: string;
  /** File holding the shared secret the hook authenticates with. */
  secretFile: string;
  /** Largest push: its pack (receive.maxInputSize) and its tree once unpacked (the hook checks). */
  maxBytes: number;
}

export interface RepoStore {
  dir: string;
  pathOf(app: string): string;
  create(app: string): Promise<void>;
  remove(app: string): Promise<void>;
  /** Moves the repository to another app name (its hook finds the app by directory name);
   *  a repository that went missing is created afresh under the new name. */
  rename(from: string, to: string): Promise<void>;
  /** (Re)writes the hook of every repository: paths and ports may change between starts. */
  installHooks(): Promise<void>;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function createRepoStore(dir: string, target: HookTarget): RepoStore {
  const pathOf = (app: string): string => path.join(dir, `${app}.git`);

  async function writeHook(repo: string): Promise<void> {
    const script = [
      '#!/bin/sh',
      '# Written by paas: streams the build of the pushed commit back to the git client.',
      `PAAS_HOOK_URL=${quote(target.url)} PAAS_HOOK_SECRET_FILE=${quote(target.secretFile)} PAAS_HOOK_MAX_BYTES=${target.maxBytes} \\`,
      `  exec ${quote(process.execPath)} --disable-warning=ExperimentalWarning ${quote(HOOK_ENTRY)}`,
      '',
    ].join('\n');
    await fs.writeFile(path.join(repo, 'hooks', 'pre-receive'), script, { mode: 0o755 });
    // A pack larger than this is refused while it arrives (the unpacked size is the hook's).
    await run('git', ['--git-dir', repo, 'config', 'receive.maxInputSize', String(target.maxBytes)]);
  }

  async function create(app: string): Promise<void> {
    const repo = pathOf(app);
    await fs.mkdir(dir, { recursive: true });
    await run('git', ['init', '--quiet', '--bare', repo]);
    await run('git', ['--git-dir', repo, 'config', 'receive.denyDeletes', 'false']);
    await writeHook(repo);
  }

  return {
    dir,
    pathOf,
    create,
    async remove(app) {
      await fs.rm(pathOf(app), { recursive: true, force: true });
    },
    async rename(from, to) {
      try {
        await fs.rename(pathOf(from), pathOf(to));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await create(to);
      }
    },
    async installHooks() {
      await fs.mkdir(dir, { recursive: true });
      for (const entry of await fs.readdir(dir)) {
        if (entry.endsWith('.git')) await writeHook(path.join(dir, entry));
      }
    },
  };
}
