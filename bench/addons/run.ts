// Add-on benchmark on real Docker: provisioning time (create -> accepting connections, URL set)
// of Postgres and Redis add-ons, and backup and restore time and throughput of a ~100 MB
// Postgres database through the platform (pg_dump -Fc in a job container on the add-on network,
// verification, checksum; restore in one transaction), against the machine's raw speed in the
// same run: pg_dump -Fc and pg_restore run inside the server container itself (no job
// container, no network, no verification).
//   node bench/addons/run.ts [--mb 100] [--creates 3]
// Needs dockerd, Redis and the registry (npm start / bin/setup services); loopback only.
import os from 'node:os';
import { flag, parseArgs } from '../../cli/args.ts';
import { ensureAddonImages } from '../../builder/addon-images.ts';
import { startTestPlatform, type TestPlatform } from '../../test/helpers/platform.ts';

const args = parseArgs(process.argv.slice(2));
const targetMb = Number(flag(args, 'mb') ?? 100);
const creates = Number(flag(args, 'creates') ?? 3);
const PG = '/usr/lib/postgresql/15/bin';

interface AddonJson { id: string; name: string }
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function ok<T>(p: TestPlatform, method: string, path: string, body?: unknown): Promise<T> {
  const r = await p.api<T>(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Runs a command in the add-on's server container (as postgres, on the local socket). */
async function execServer(p: TestPlatform, addon: AddonJson, cmd: string[]): Promise<string> {
  const [c] = await p.docker.listContainers({ filters: { label: [`${p.config.label}.addon-id=${addon.id}`, `${p.config.label}.addon-role=server`] } });
  const exec = await p.docker.getContainer(c.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = '';
  stream.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd.join(' ')} failed (${ExitCode}): ${out}`);
  return out;
}

async function main(): Promise<void> {
  const p = await startTestPlatform();
  try {
    await ensureAddonImages({ docker: p.docker, baseImage: p.config.stackBuildImage, label: p.config.label, log: (l) => console.log(l) });
    const app = `bench-addons-${process.pid}`;
    await ok(p, 'POST', '/apps', { name: app });
    console.log(`add-on benchmark (${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);

    // Provisioning: each create is an API call that answers once the server accepts connections
    // and the attachment's URL is set.
    const pgTimes: number[] = [];
    let first: AddonJson | null = null;
    for (let i = 0; i < creates; i++) {
      const { ms, value } = await timed(() => ok<AddonJson>(p, 'POST', `/apps/${app}/addons`, { plan: 'heroku-postgresql', attachment: { name: `PG${i}` } }));
      pgTimes.push(ms);
      first ??= value;
    }
    const redis = await timed(() => ok<AddonJson>(p, 'POST', `/apps/${app}/addons`, { plan: 'heroku-redis' }));
    console.log(`provision postgres: ${pgTimes.map(seconds).join(', ')} (median ${seconds(median(pgTimes))})`);
    console.log(`provision redis:    ${seconds(redis.ms)}`);
    if (!first) throw new Error('no database');
    const db: AddonJson = first;

    // ~targetMb of rows that compress about like real text (hex digests).
    const rows = Math.round((targetMb * 1024 * 1024) / 258); // ~258 bytes a row on disk, measured
    const fill = await timed(() => ok<{ exit_code: number; output: string }>(p, 'POST', `/addons/${db.id}/actions/psql`, {
      command: `CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) AS payload FROM generate_series(1, ${rows}) g`,
    }));
    if (fill.value.exit_code !== 0) throw new Error(fill.value.output);
    const info = await ok<{ data_size: number }>(p, 'GET', `/addons/${db.id}/info`);
    const mb = info.data_size / 1024 / 1024;
    console.log(`database: ${mb.toFixed(1)} MB (${rows} rows, filled in ${seconds(fill.ms)})`);

    const database = (await ok<Record<string, string>>(p, 'GET', `/apps/${app}/config-vars`)).PG0_URL.split('/').pop() as string;
    const raw = await timed(() => execServer(p, db, [`${PG}/pg_dump`, '-Fc', '-h', '/tmp', '-U', 'postgres', '-f', '/tmp/raw.dump', database]));
    const rawSize = Number(/\d+/.exec(await execServer(p, db, ['stat', '-c', '%s', '/tmp/raw.dump']))?.[0]); // (the output has stream frame headers)
    const capture = await timed(() => ok<{ name: string; size: number }>(p, 'POST', `/addons/${db.id}/backups`));
    await execServer(p, db, [`${PG}/createdb`, '-h', '/tmp', '-U', 'postgres', 'scratch']);
    const rawRestore = await timed(() => execServer(p, db, [`${PG}/pg_restore`, '--no-owner', '-h', '/tmp', '-U', 'postgres', '-d', 'scratch', '/tmp/raw.dump']));
    const restore = await timed(() => ok(p, 'POST', `/addons/${db.id}/restores`, { backup: capture.value.name }));
    await execServer(p, db, ['rm', '-f', '/tmp/raw.dump']);

    const rate = (ms: number): string => `${(mb / (ms / 1000)).toFixed(1)} MB/s`;
    console.log('');
    console.log(`                      time      throughput (database MB / s)   vs raw`);
    console.log(`raw pg_dump -Fc       ${seconds(raw.ms).padEnd(9)} ${rate(raw.ms).padEnd(30)} 1.00  (${(rawSize / 1024 / 1024).toFixed(1)} MB archive)`);
    console.log(`backup (capture)      ${seconds(capture.ms).padEnd(9)} ${rate(capture.ms).padEnd(30)} ${(capture.ms / raw.ms).toFixed(2)}  (${(capture.value.size / 1024 / 1024).toFixed(1)} MB, verified, sha256)`);
    console.log(`raw pg_restore        ${seconds(rawRestore.ms).padEnd(9)} ${rate(rawRestore.ms).padEnd(30)} 1.00`);
    console.log(`restore               ${seconds(restore.ms).padEnd(9)} ${rate(restore.ms).padEnd(30)} ${(restore.ms / rawRestore.ms).toFixed(2)}  (checksum, list, one transaction)`);
  } finally {
    await p.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
