// Runs the whole test suite with node's test runner: every *.test.ts under the component
// folders, one file at a time (the tests share one dockerd), spec output on stdout, then a
// closing line "N passed, N failed[, N skipped]". Exits 1 if a test failed or none ran.
//
//   node test/run.ts [FILTER...]   only files whose path contains one of the filters
//
// Docker containers and networks labelled `paastest` (what tests create), and Redis keys
// under `paastest-` prefixes, are removed before and after the run, so a crashed run does
// not leak into the next one.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../common/config.ts';
import { removeRedisKeys } from './helpers/redis-keys.ts';
import { errorMessage } from '../common/errors.ts';

const execFileAsync = promisify(execFile);

const repoDir = path.resolve(import.meta.dirname, '..');
const roots = ['common', 'controller', 'builder', 'router', 'cli', 'test'];
const testLabel = 'paastest';
/** Longest one test may run (PAAS_TEST_TIMEOUT seconds, default 600): a hung test fails, it does not hang CI. */
const testTimeoutMs = 1000 * positiveInt(process.env.PAAS_TEST_TIMEOUT, 600);
const dockerHost = `unix://${process.env.PAAS_DOCKER_SOCKET || '/var/run/docker.sock'}`;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Relative paths of every *.test.ts under the roots, skipping node_modules and dot dirs. */
function findTestFiles(dir: string, roots: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return; // a root that does not exist (yet)
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(child);
    }
  };
  for (const root of roots) walk(root);
  return found.sort();
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['-H', dockerHost, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Removes leftover containers, networks and volumes labelled for tests, and the Redis keys of test
 *  platforms (prefix `paastest-…`, test/helpers/config.ts); warns instead of failing. */
async function removeTestLeftovers(): Promise<void> {
  const filter = `label=${testLabel}`;
  const warn = (what: string, err: unknown): void => {
    const message = errorMessage(err).split('\n')[0];
    process.stderr.write(`warning: could not remove ${testLabel} ${what}: ${message}\n`);
  };
  try {
    const containers = (await docker(['ps', '-aq', '--filter', filter])).split('\n').filter(Boolean);
    if (containers.length > 0) await docker(['rm', '-f', ...containers]);
    const networks = (await docker(['network', 'ls', '-q', '--filter', filter])).split('\n').filter(Boolean);
    if (networks.length > 0) await docker(['network', 'rm', ...networks]);
    // Add-on data volumes (controller/services/addon-docker.ts).
    const volumes = (await docker(['volume', 'ls', '-q', '--filter', filter])).split('\n').filter(Boolean);
    if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]);
  } catch (err) {
    warn('leftovers', err);
  }
  const redis = new Redis(loadConfig().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await removeRedisKeys(redis, `${testLabel}-*`);
  } catch (err) {
    warn('Redis keys', err);
  } finally {
    redis.disconnect();
  }
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function summary(counts: Counts): string {
  const line = `${counts.passed} passed, ${counts.failed} failed`;
  return counts.skipped > 0 ? `${line}, ${counts.skipped} skipped` : line;
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith('-'));
  if (flags.length > 0) {
    process.stderr.write(`usage: node test/run.ts [FILTER...]  (unknown option ${flags[0]})\n`);
    return 2;
  }
  const all = findTestFiles(repoDir, roots);
  const files = argv.length === 0 ? all : all.filter((f) => argv.some((filter) => f.includes(filter)));
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  if (files.length === 0) {
    process.stderr.write(`no test files match ${argv.length ? argv.join(' ') : '**/*.test.ts'}\n`);
    process.stdout.write(`${summary(counts)}\n`);
    return 1;
  }

  process.env.PAAS_TEST = '1';
  await removeTestLeftovers();
  try {
    const stream = run({
      cwd: repoDir,
      files: files.map((f) => path.join(repoDir, f)),
      concurrency: 1,
      // No forceExit: a file whose tests are done must end by itself, so a handle it leaves
      // open (a server, a connection, a timer) shows up as a hang here instead of being hidden.
      // Every file was checked to exit alone (node --test without --test-force-exit).
      forceExit: false,
      timeout: testTimeoutMs,
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    // Leaf tests only: suites report their own pass/fail on top of their tests'. A file
    // that declares no test shows up as one passing "test" named after the file: not a
    // test (a file that crashes shows up the same way, failing, and does count).
    stream.on('test:pass', (event) => {
      if (event.details.type === 'suite') return;
      if (event.nesting === 0 && event.name === event.file) return;
      if (event.skip !== undefined || event.todo !== undefined) counts.skipped++;
      else counts.passed++;
    });
    stream.on('test:fail', (event) => {
      if (event.details.type === 'suite') return;
      if (event.todo !== undefined) counts.skipped++; // a failing todo does not fail the run
      else counts.failed++;
    });
    for await (const chunk of stream.compose(spec)) process.stdout.write(chunk);
  } finally {
    await removeTestLeftovers();
  }

  process.stdout.write(`\n${summary(counts)}\n`);
  return counts.failed > 0 || counts.passed + counts.failed === 0 ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
