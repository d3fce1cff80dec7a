// Real git and real CLI processes, as a user runs them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run { code: number; stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60 * 1000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A user's environment: own HOME (so ~/.netrc and CLI config are theirs), git identity, no prompts. */
export function userEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', ...extra,
  };
}

export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** The paas CLI, as a separate process, in `cwd` (by default the temp dir: never inside this
 *  repository, where apps:create would add a `paas` remote to the project's own git config). */
export function paas(args: string[], env: NodeJS.ProcessEnv, cwd = os.tmpdir()): Promise<Run> {
  return run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'cli/main.ts'), ...args], { env, cwd });
}

/** Writes files into dir and commits them on master. */
export async function commitFiles(dir: string, files: Record<string, string | Buffer>, message: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!fs.existsSync(path.join(dir, '.git'))) {
    const init = await run('git', ['init', '-q', '-b', 'master', dir], { env });
    if (init.code !== 0) throw new Error(init.stderr);
  }
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  for (const args of [['add', '-A'], ['commit', '-q', '-m', message]]) {
    const r = await run('git', args, { cwd: dir, env });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  }
}
