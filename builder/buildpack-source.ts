// Turns an app's buildpack list into directories on the build host, which the build container
// mounts read-only: shipped buildpacks from buildpacks/, local paths as they are, git URLs
// cloned here (`git clone --depth 1`) into a cache of one directory per commit. A commit's
// checkout never changes once made, so builds running at the same time can share it.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildpackRefError, parseBuildpackRef, type BuildpackRef } from '../common/buildpack-ref.ts';
import { UserBuildError } from '../common/errors.ts';
import { run } from './exec-file.ts';

export interface ResolvedBuildpack {
  /** The entry as the app lists it. */
  ref: string;
  /** Host directory with bin/detect, bin/compile (and bin/release). */
  dir: string;
  /** Name of the shipped buildpack, or null for a custom one. */
  shipped: string | null;
}

export interface ResolveOptions {
  refs: string[];
  /** The shipped buildpacks (this repository's buildpacks/). */
  buildpacksDir: string;
  /** Cache of git checkouts ($PAAS_DATA_DIR/cache/buildpacks). */
  cacheDir: string;
  /** Whether local paths and file:// URLs may be used. */
  allowLocal: boolean;
  log: (line: string) => void;
}

const SHA = /^[0-9a-f]{40}$/;
/** Checkouts unused for this long are removed when a newer commit of the same URL is fetched. */
const STALE_MS = 24 * 3600_000;

export async function resolveBuildpacks(opts: ResolveOptions): Promise<ResolvedBuildpack[]> {
  const out: ResolvedBuildpack[] = [];
  for (const entry of opts.refs) {
    let ref: BuildpackRef;
    try {
      ref = parseBuildpackRef(entry);
    } catch (err) {
      if (err instanceof BuildpackRefError) throw new UserBuildError(err.message);
      throw err;
    }
    let dir: string;
    if (ref.kind === 'shipped') dir = path.join(opts.buildpacksDir, ref.name);
    else if (ref.kind === 'path') {
      if (!opts.allowLocal) throw new UserBuildError(`Buildpack ${ref.ref}: local paths are not allowed on this platform.`);
      dir = ref.path;
    } else {
      if (ref.url.startsWith('file:') && !opts.allowLocal) throw new UserBuildError(`Buildpack ${ref.ref}: file:// URLs are not allowed on this platform.`);
      dir = await fetchGitBuildpack(opts, ref.url, ref.gitRef);
    }
    await checkLayout(ref.ref, dir);
    out.push({ ref: ref.ref, dir, shipped: ref.kind === 'shipped' ? ref.name : null });
  }
  return out;
}

async function checkLayout(ref: string, dir: string): Promise<void> {
  for (const bin of ['detect', 'compile']) {
    const file = path.join(dir, 'bin', bin);
    const ok = await fs.stat(file).then((s) => s.isFile(), () => false);
    if (!ok) throw new UserBuildError(`Buildpack ${ref} has no bin/${bin}: it is not a Heroku buildpack.`);
  }
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: process.env.HOME, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1',
    GIT_ASKPASS: '/bin/true', SSH_ASKPASS: '/bin/true', LANG: 'C',
    // Reach the network the way this process does (proxies, extra CAs).
    ...pick(process.env, ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY', 'GIT_SSL_CAINFO', 'SSL_CERT_FILE']),
  };
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

const git = (args: string[], cwd?: string, timeoutMs = 120_000) =>
  run('git', ['-c', 'protocol.allow=never', '-c', 'protocol.https.allow=always', '-c', 'protocol.http.allow=always',
    '-c', 'protocol.git.allow=always', '-c', 'protocol.file.allow=always', '-c', 'core.hooksPath=/dev/null', ...args], { cwd, env: gitEnv(), timeoutMs });

/** The checkout of `url` at `gitRef` (default: its HEAD); fetched unless that commit is cached. */
async function fetchGitBuildpack(opts: ResolveOptions, url: string, gitRef: string | null): Promise<string> {
  const base = path.join(opts.cacheDir, createHash('sha256').update(`${url}#${gitRef ?? ''}`).digest('hex').slice(0, 16));
  await fs.mkdir(base, { recursive: true });
  const shown = gitRef ? `${url}#${gitRef}` : url;
  let commit: string | null = gitRef && SHA.test(gitRef) ? gitRef : null;
  if (!commit) {
    try {
      const { stdout } = await git(['ls-remote', '--', url, gitRef ?? 'HEAD'], undefined, 60_000);
      commit = lsRemoteCommit(stdout, gitRef);
    } catch (err) {
      const cached = await readCurrent(base);
      if (cached) {
        opts.log(`       Could not reach ${shown}, using the cached checkout ${cached.slice(0, 7)}`);
        return path.join(base, cached);
      }
      throw new UserBuildError(`Could not fetch buildpack ${shown}: ${firstLine(err)}`);
    }
    if (!commit) throw new UserBuildError(`Buildpack ${shown}: no such branch or tag.`);
  }
  const dir = path.join(base, commit);
  if (await fs.access(path.join(dir, '.paas-complete')).then(() => true, () => false)) {
    const now = new Date();
    await fs.utimes(dir, now, now).catch(() => {});
    opts.log(`-----> Buildpack ${shown} at ${commit.slice(0, 7)} (cached)`);
    return dir;
  }
  opts.log(`-----> Fetching buildpack ${shown}`);
  const tmp = path.join(base, `.tmp-${randomBytes(4).toString('hex')}`);
  let fetched = dir;
  let head = commit;
  try {
    if (gitRef && SHA.test(gitRef)) {
      await git(['init', '-q', tmp]);
      await git(['fetch', '-q', '--depth', '1', '--', url, gitRef], tmp);
      await git(['checkout', '-q', 'FETCH_HEAD'], tmp);
    } else {
      await git(['clone', '-q', '--depth', '1', '--no-tags', ...(gitRef ? ['--branch', gitRef] : []), '--', url, tmp]);
    }
    // The ref may have moved since ls-remote: the checkout is named by what was cloned.
    head = (await git(['rev-parse', 'HEAD'], tmp)).stdout.trim();
    fetched = path.join(base, head);
    await fs.writeFile(path.join(tmp, '.paas-complete'), `${url}\n${head}\n`);
    await fs.chmod(tmp, 0o755);
    await fs.rename(tmp, fetched).catch(async (err: NodeJS.ErrnoException) => {
      // Another build fetched the same commit meanwhile: use theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    if (err instanceof UserBuildError) throw err;
    throw new UserBuildError(`Could not fetch buildpack ${shown}: ${firstLine(err)}`);
  }
  await fs.writeFile(path.join(base, 'current'), `${head}\n`);
  await removeStale(base, head);
  return fetched;
}

/** The commit ls-remote lists for the ref (a branch or tag; a peeled tag wins). */
export function lsRemoteCommit(stdout: string, gitRef: string | null): string | null {
  const rows = stdout.split('\n').map((l) => l.split('\t')).filter((r) => r.length === 2 && SHA.test(r[0]));
  if (!gitRef) return rows.find((r) => r[1] === 'HEAD')?.[0] ?? rows[0]?.[0] ?? null;
  const wanted = [`refs/heads/${gitRef}`, `refs/tags/${gitRef}^{}`, `refs/tags/${gitRef}`, gitRef];
  for (const name of wanted) {
    const row = rows.find((r) => r[1] === name);
    if (row) return row[0];
  }
  return null;
}

async function readCurrent(base: string): Promise<string | null> {
  const text = await fs.readFile(path.join(base, 'current'), 'utf8').catch(() => '');
  const commit = text.trim();
  if (!SHA.test(commit)) return null;
  return (await fs.access(path.join(base, commit, '.paas-complete')).then(() => true, () => false)) ? commit : null;
}

async function removeStale(base: string, keep: string): Promise<void> {
  for (const name of await fs.readdir(base).catch(() => [])) {
    if (name === keep || !(SHA.test(name) || name.startsWith('.tmp-'))) continue;
    const stat = await fs.stat(path.join(base, name)).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_MS) await fs.rm(path.join(base, name), { recursive: true, force: true });
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-1)[0] ?? text;
}
