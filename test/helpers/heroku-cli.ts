// The official Heroku CLI (npm package `heroku`, a pinned version), installed once into a cache
// directory outside the repository and reused by later runs. `node test/helpers/heroku-cli.ts`
// installs it (bin/setup test does, before the suite, so its first install is not a test's time).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type Run } from './git.ts';

export const HEROKU_CLI_VERSION = '11.10.0';

export const herokuCliDir = (): string =>
  process.env.PAAS_HEROKU_CLI_DIR || path.join(os.homedir(), '.cache', 'paas-test', 'heroku-cli', HEROKU_CLI_VERSION);

const entry = (dir: string): string => path.join(dir, 'node_modules', 'heroku', 'bin', 'run.js');

function installedVersion(dir: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'heroku', 'package.json'), 'utf8')) as { version: string }).version;
  } catch { return null; }
}

/** The path of the CLI's bin/run.js, installing it first when the cache lacks it. The install
 *  goes to a temporary directory renamed into place, so concurrent runs never see half of one. */
export async function ensureHerokuCli(log: (l: string) => void = () => undefined): Promise<string> {
  const dir = herokuCliDir();
  if (installedVersion(dir) === HEROKU_CLI_VERSION) return entry(dir);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.installing-`);
  log(`installing heroku@${HEROKU_CLI_VERSION} into ${dir} (once)`);
  const npm = await new Promise<Run>((resolve) => {
    execFile('npm', ['install', '--prefix', tmp, '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', '--loglevel=error', `heroku@${HEROKU_CLI_VERSION}`],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
  if (npm.code !== 0 || installedVersion(tmp) !== HEROKU_CLI_VERSION) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`npm install heroku@${HEROKU_CLI_VERSION} failed: ${npm.stderr.slice(-2000)}`);
  }
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another run finished first
    if (installedVersion(dir) !== HEROKU_CLI_VERSION) throw new Error(`${dir} holds no heroku@${HEROKU_CLI_VERSION}: remove it`);
  }
  return entry(dir);
}

/** The environment of a Heroku CLI user of `apiUrl`: own HOME, no telemetry, no update checks,
 *  and any HTTPS request (Heroku's own services) sent to a closed local port, so nothing leaves
 *  the machine. Particleboard (account delinquency lookups) is pointed at the API itself. */
export function herokuEnv(home: string, apiUrl: string, token: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'),
    HEROKU_HOST: apiUrl, HEROKU_API_KEY: token, HEROKU_PARTICLEBOARD_URL: apiUrl,
    DISABLE_TELEMETRY: 'true', HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', TERM: 'dumb',
    HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
    // Compiled modules cached across runs: the CLI's start-up is most of each command's time.
    NODE_COMPILE_CACHE: path.join(herokuCliDir(), '.compile-cache'),
    GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com',
    ...extra,
  };
}

/** One Heroku CLI command as a separate process. */
export function heroku(cli: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Run> {
  return run(process.execPath, [cli, ...args], { env, cwd });
}

if (import.meta.main) console.log(await ensureHerokuCli(console.log));
