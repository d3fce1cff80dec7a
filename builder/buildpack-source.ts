// Turns an app's buildpack list into directories on the build host, which the build container
// mounts read-only: shipped buildpacks from buildpacks/, local paths as they are, git URLs
// cloned here (`git clone --depth 1`) into a cache of one directory per commit. A commit's
// checkout never changes once made, so builds running at the same time can share it.
// A checkout's content belongs to whoever controls the repository: nothing is ever written into
// it (a file there may be a symlink to a host file); its completion marker lives beside it. Host
// git runs without the platform's HOME, global or system config, credential helpers or netrc
// (they hold the platform's tokens), and reaches only the addresses the URL policy allows.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BuildpackRefError, parseBuildpackRef, type BuildpackRef } from '../common/buildpack-ref.ts';
import { UserBuildError, errorMessage } from '../common/errors.ts';
import { checkUrl, resolveAllowed, UrlPolicyError, urlHost, type UrlPolicy } from '../common/url-policy.ts';
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
  /** Which addresses git URLs may reach. */
  urlPolicy: UrlPolicy;
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

/** Environment of host git: an empty HOME and no global or system config, so no ~/.netrc,
 *  ~/.gitconfig credential helper or stored credentials are ever sent to a tenant's URL. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home, CURL_HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/true', SSH_ASKPASS: '/bin/true', LANG: 'C',
    // Reach the network the way this process does (proxies, extra CAs).
    ...pick(process.env, ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY', 'GIT_SSL_CAINFO', 'SSL_CERT_FILE']),
  };
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

interface GitTarget {
  /** The URL git is given (git://: the checked address in place of the name). */
  url: string;
  /** `-c` options pinning the connection to the checked addresses, refusing redirects. */
  pins: string[];
}

/** Refuses a buildpack URL the policy forbids as written (scheme, IP literal, localhost). */
function checkGitUrl(url: string, policy: UrlPolicy, shown: string): URL | null {
  if (url.startsWith('file:')) return null;
  try {
    return checkUrl(url, policy, ['http:', 'https:', 'git:']);
  } catch (err) {
    if (err instanceof UrlPolicyError) throw new UserBuildError(`Buildpack ${shown}: ${err.message}`);
    throw err;
  }
}

/** Resolves the URL's host and checks the addresses; git then connects only to them. */
async function gitTarget(url: string, parsed: URL | null, policy: UrlPolicy, shown: string): Promise<GitTarget> {
  if (!parsed) return { url, pins: [] };
  try {
    const host = urlHost(parsed);
    const addresses = await resolveAllowed(host, policy);
    const pins = ['-c', 'http.followRedirects=false'];
    if (addresses[0] === host) return { url, pins };
    if (parsed.protocol === 'git:') {
      const ip = addresses[0];
      parsed.hostname = ip.includes(':') ? `[${ip}]` : ip;
      return { url: parsed.href, pins };
    }
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    const list = addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',');
    return { url, pins: [...pins, '-c', `http.curloptResolve=${host}:${port}:${list}`] };
  } catch (err) {
    if (err instanceof UrlPolicyError && err.refused) throw new UserBuildError(`Buildpack ${shown}: ${err.message}`);
    throw err;
  }
}

/** The checkout of `url` at `gitRef` (default: its HEAD); fetched unless that commit is cached. */
async function fetchGitBuildpack(opts: ResolveOptions, url: string, gitRef: string | null): Promise<string> {
  const base = path.join(opts.cacheDir, createHash('sha256').update(`${url}#${gitRef ?? ''}`).digest('hex').slice(0, 16));
  await fs.mkdir(base, { recursive: true });
  const home = path.join(opts.cacheDir, '.empty-home');
  await fs.mkdir(home, { recursive: true, mode: 0o555 });
  const shown = gitRef ? `${url}#${gitRef}` : url;
  const parsed = checkGitUrl(url, opts.urlPolicy, shown);
  let target: GitTarget = { url, pins: [] };
  const git = (args: string[], cwd?: string, timeoutMs = 120_000) =>
    run('git', ['-c', 'protocol.allow=never', '-c', 'protocol.https.allow=always', '-c', 'protocol.http.allow=always',
      '-c', 'protocol.git.allow=always', '-c', 'protocol.file.allow=always', '-c', 'core.hooksPath=/dev/null',
      '-c', 'credential.helper=', '-c', 'core.askPass=', ...target.pins, ...args], { cwd, env: gitEnv(home), timeoutMs });
  let commit: string | null = gitRef && SHA.test(gitRef) ? gitRef : null;
  if (!commit) {
    try {
      target = await gitTarget(url, parsed, opts.urlPolicy, shown);
      const { stdout } = await git(['ls-remote', '--', target.url, gitRef ?? 'HEAD'], undefined, 60_000);
      commit = lsRemoteCommit(stdout, gitRef);
    } catch (err) {
      if (err instanceof UserBuildError) throw err;
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
  if (await isComplete(base, commit)) {
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
    if (target.pins.length === 0) target = await gitTarget(url, parsed, opts.urlPolicy, shown);
    if (gitRef && SHA.test(gitRef)) {
      await git(['init', '-q', tmp]);
      await git(['fetch', '-q', '--depth', '1', '--', target.url, gitRef], tmp);
      await git(['checkout', '-q', 'FETCH_HEAD'], tmp);
    } else {
      await git(['clone', '-q', '--depth', '1', '--no-tags', ...(gitRef ? ['--branch', gitRef] : []), '--', target.url, tmp]);
    }
    // The ref may have moved since ls-remote: the checkout is named by what was cloned.
    head = (await git(['rev-parse', 'HEAD'], tmp)).stdout.trim();
    fetched = path.join(base, head);
    await fs.chmod(tmp, 0o755);
    await fs.rename(tmp, fetched).catch(async (err: NodeJS.ErrnoException) => {
      // Another build fetched the same commit meanwhile: use theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await fs.rm(tmp, { recursive: true, force: true });
    });
    await markComplete(base, head, url);
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
  return (await isComplete(base, commit)) ? commit : null;
}

/** The marker of a finished checkout: `<commit>.complete` beside it, never inside (the
 *  checkout is the repository owner's: a file there may be a symlink to a host file). */
const markerOf = (base: string, commit: string): string => path.join(base, `${commit}.complete`);

async function isComplete(base: string, commit: string): Promise<boolean> {
  const stat = await fs.lstat(markerOf(base, commit)).catch(() => null);
  return stat?.isFile() === true;
}

async function markComplete(base: string, commit: string, url: string): Promise<void> {
  const marker = markerOf(base, commit);
  const handle = await fs.open(marker, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return null; // another build finished the same commit
    throw err;
  });
  if (!handle) return;
  try { await handle.writeFile(`${url}\n${commit}\n`); } finally { await handle.close(); }
}

async function removeStale(base: string, keep: string): Promise<void> {
  for (const name of await fs.readdir(base).catch(() => [])) {
    if (name === keep || !(SHA.test(name) || name.startsWith('.tmp-'))) continue;
    const stat = await fs.stat(path.join(base, name)).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_MS) {
      await fs.rm(markerOf(base, name), { force: true });
      await fs.rm(path.join(base, name), { recursive: true, force: true });
    }
  }
}

function firstLine(err: unknown): string {
  const text = errorMessage(err);
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-1)[0] ?? text;
}
