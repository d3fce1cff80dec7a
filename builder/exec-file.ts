// Run a host program with an argument array (never a shell string) and collect its output.
import { execFile, spawn } from 'node:child_process';
import { createLineSplitter } from './line-splitter.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export class ExecError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(file: string, args: string[], code: number | null, stderr: string, cause: unknown, stdout = '') {
    const detail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`${file} ${args.join(' ')} failed (exit ${code ?? 'signal'})${detail ? `: ${detail}` : ''}`, { cause });
    this.name = 'ExecError';
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

export function run(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 0, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          reject(new ExecError(file, args, code, stderr, err, stdout));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Run a program, passing each output line (stdout and stderr) to log; rejects on non-zero exit. */
export function runLogged(file: string, args: string[], log: (line: string) => void, opts: ExecOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 0 });
    const out = createLineSplitter(log);
    const err = createLineSplitter(log);
    let tail: string[] = [];
    const errLines = createLineSplitter((line) => { tail = [...tail.slice(-4), line]; });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { err.push(chunk); errLines.push(chunk); });
    child.on('error', reject);
    child.on('close', (code) => {
      out.flush();
      err.flush();
      errLines.flush();
      if (code === 0) resolve();
      else reject(new ExecError(file, args, code, tail.join('\n'), null));
    });
  });
}
