// git's pre-receive hook (run by git-receive-pack inside the app's bare repository).
// It sends the pushed commit as a tar to the controller and prints the streamed build log;
// git relays every line to the pushing client as "remote: ...". Non-zero exit rejects the push.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { parseEndLine, RESULT_MARKER, type PushOutcome } from '../../common/stream-end.ts';
import { errorMessage } from '../../common/errors.ts';

const ZERO = /^0+$/;
const DEPLOY_REFS = new Set(['refs/heads/master', 'refs/heads/main']);

function fail(message: string): never {
  process.stdout.write(` !     ${message}\n`);
  process.exit(1);
}

async function readUpdates(): Promise<Array<{ oldRev: string; newRev: string; ref: string }>> {
  const updates = [];
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [oldRev, newRev, ref] = line.trim().split(/\s+/);
    if (oldRev && newRev && ref) updates.push({ oldRev, newRev, ref });
  }
  return updates;
}

/** The API's coded error message (problem+json), else the status and body. */
function refusal(status: number, body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message;
  } catch { /* not JSON */ }
  return `the platform refused the push: HTTP ${status} ${body}`;
}

/** Bytes of every file in the commit's tree, from object headers (nothing is unpacked); stops
 *  counting past `max`. */
async function treeBytes(rev: string, max: number): Promise<number> {
  const ls = spawn('git', ['ls-tree', '-r', '-l', '-z', rev], { stdio: ['ignore', 'pipe', 'inherit'] });
  let total = 0;
  let rest = '';
  for await (const chunk of ls.stdout as AsyncIterable<Buffer>) {
    const entries = (rest + chunk.toString('utf8')).split('\0');
    rest = entries.pop() ?? '';
    for (const entry of entries) {
      const size = Number(/^\S+ blob \S+ +(\d+)\t/.exec(entry)?.[1] ?? 0);
      total += size;
    }
    if (total > max) { ls.kill(); break; }
  }
  return total;
}

async function main(): Promise<void> {
  const url = process.env.PAAS_HOOK_URL;
  const secretFile = process.env.PAAS_HOOK_SECRET_FILE;
  if (!url || !secretFile) fail('paas hook is not configured (PAAS_HOOK_URL missing)');
  const app = path.basename(process.cwd()).replace(/\.git$/, '');
  const updates = await readUpdates();
  const deploy = updates.find((u) => DEPLOY_REFS.has(u.ref));
  for (const u of updates) {
    if (!DEPLOY_REFS.has(u.ref)) process.stdout.write(`Pushed to non-deploy ref ${u.ref}; only master or main is built.\n`);
  }
  if (!deploy) return;
  if (ZERO.test(deploy.newRev)) fail(`Deleting ${deploy.ref} is not allowed: it is the deploy branch.`);

  // A small pack can hold a huge tree (a file of zeros compresses 1000:1): refuse it before unpacking.
  const max = Number(process.env.PAAS_HOOK_MAX_BYTES ?? 0);
  if (max > 0 && await treeBytes(deploy.newRev, max) > max) {
    fail(`Push rejected: the pushed files are larger than ${Math.round(max / 1024 / 1024)} MiB once unpacked, more than this platform builds.`);
  }
  const archive = spawn('git', ['archive', '--format=tar', deploy.newRev], { stdio: ['ignore', 'pipe', 'inherit'] });
  const secret = fs.readFileSync(secretFile, 'utf8').trim();
  let res: Response;
  try {
    res = await fetch(`${url}/${encodeURIComponent(app)}?rev=${deploy.newRev}&ref=${encodeURIComponent(deploy.ref)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-tar', 'x-paas-hook-secret': secret },
      body: Readable.toWeb(archive.stdout) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    fail(`the platform could not be reached: ${errorMessage(err)}`);
  }
  if (!res.ok || !res.body) fail(refusal(res.status, await res.text()));

  let outcome: PushOutcome | null = null;
  const lines = readline.createInterface({ input: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) });
  for await (const line of lines) {
    if (line.startsWith(RESULT_MARKER)) outcome = parseEndLine<PushOutcome>(line, RESULT_MARKER);
    else process.stdout.write(`${line}\n`);
  }
  if (!outcome) fail('the connection to the platform was lost before the build finished');
  if (!outcome.ok) fail(`Push rejected: ${outcome.message}`);
}

main().catch((err: unknown) => fail(`hook error: ${errorMessage(err)}`));
