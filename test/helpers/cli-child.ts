// The real CLI as a child process whose stdin a test writes (optionally through a
// pseudo-terminal: pty-harness.py), its output collected as it comes.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'cli/main.ts')];
const HARNESS = path.join(ROOT, 'test/helpers/pty-harness.py');

/** CLI processes still running (killChildren ends them, e.g. after a failed test). */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** The CLI with `args`; viaPty: on a terminal of cols x rows (SIGUSR1 to the child resizes it
 *  to cols2 x rows2), whose output is stdout. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, viaPty?: { cols: number; rows: number; cols2: number; rows2: number }) {
  const child: ChildProcess = viaPty
    ? spawn('python3', [HARNESS, String(viaPty.cols), String(viaPty.rows), String(viaPty.cols2), String(viaPty.rows2), process.execPath, ...CLI, ...args], { env })
    : spawn(process.execPath, [...CLI, ...args], { env });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => { out.stdout += c.toString('utf8'); });
  child.stderr?.on('data', (c: Buffer) => { out.stderr += c.toString('utf8'); });
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  children.add(child);
  void exited.then(() => children.delete(child));
  /** Resolves once stdout (from `from` on) matches, or fails after timeoutMs. */
  const expect = async (re: RegExp, from = 0, timeoutMs = 30_000): Promise<RegExpExecArray> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(out.stdout.slice(from));
      if (m) return m;
      if (Date.now() > end) throw new Error(`no ${re} in output: ${JSON.stringify(out.stdout)} / ${JSON.stringify(out.stderr)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** The exit status, or a failure with the output so far when the CLI is still running after
   *  timeoutMs (a hung session fails the test in seconds, not at the runner's ten minutes). */
  const exit = async (timeoutMs = 30_000): Promise<number> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms: ${JSON.stringify(out.stdout)} / ${JSON.stringify(out.stderr)}`)), timeoutMs);
    });
    try { return await Promise.race([exited, late]); } finally { clearTimeout(timer); }
  };
  return { child, out, expect, exit };
}
