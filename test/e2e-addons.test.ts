// Add-ons end to end, nothing mocked: real PostgreSQL 15 and Redis 7 servers in containers, a
// real app (using the `pg` and `ioredis` npm packages, vendored in its source: builds have no
// network) pushed with git, the real CLI (through a pseudo-terminal for interactive sessions).
// One Postgres and one Redis add-on are provisioned once and shared by the cases, which run in
// order. The scheduled-backup clock of the platform is set ahead by the test (addonClock).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAddonImages } from '../builder/addon-images.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { attachOutput, attachRefusal } from './helpers/attach-ws.ts';
import { killChildren, spawnCli } from './helpers/cli-child.ts';
import { commitFiles, paas, run, tempDir, userEnv } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A package and everything it depends on, from the project's (flat) node_modules. */
function closure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    if (!fs.existsSync(file)) return; // an optional dependency that is not installed
    seen.add(name);
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

const SERVER = `
const http = require('http');
const net = require('net');
const { Client } = require('pg');
const Redis = require('ioredis');
async function sql(url, text, params) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try { return (await c.query(text, params)).rows; } finally { await c.end(); }
}
http.createServer(async (req, res) => {
  const u = new URL(req.url, 'http://x');
  try {
    if (u.pathname === '/write') {
      await sql(process.env.DATABASE_URL, 'CREATE TABLE IF NOT EXISTS notes (body text)');
      await sql(process.env.DATABASE_URL, 'INSERT INTO notes VALUES ($1)', [u.searchParams.get('v')]);
      return res.end('ok');
    }
    if (u.pathname === '/read') return res.end(JSON.stringify((await sql(process.env.DATABASE_URL, 'SELECT body FROM notes ORDER BY body')).map((r) => r.body)));
    if (u.pathname === '/count') {
      const r = new Redis(process.env.REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await r.connect();
      const n = await r.incr('hits');
      r.disconnect();
      return res.end(String(n));
    }
    if (u.pathname === '/probe') {
      await sql(u.searchParams.get('url'), 'SELECT 1');
      return res.end('connected');
    }
    if (u.pathname === '/tcp') {
      const s = net.connect({ host: u.searchParams.get('host'), port: 5432, timeout: 2000 });
      s.on('connect', () => { s.destroy(); res.end('connected'); });
      s.on('timeout', () => { s.destroy(); res.end('failed: timeout'); });
      s.on('error', (e) => res.end('failed: ' + e.code));
      return;
    }
    res.end('up ' + (process.env.VERSION || ''));
  } catch (e) {
    res.statusCode = 500;
    res.end('error: ' + e.message);
  }
}).listen(process.env.PORT);
`;

describe('Postgres and Redis add-ons', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  const app = `adb-${process.pid}`;
  const other = `adc-${process.pid}`;
  let appDir = '';
  let pgName = '';
  let pgId = '';
  let redisName = '';
  let redisId = '';
  /** How far the platform's scheduled-backup clock is ahead of the real one (ms). */
  let clockAhead = 0;

  const cli = async (args: string[], code = 0): Promise<string> => {
    const t = Date.now();
    const r = await paas(args, env);
    if (process.env.ADDON_TIMING) console.log(`TIMING ${Date.now() - t} ms: paas ${args.join(' ')}`);
    assert.equal(r.code, code, `paas ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const get = async (target: string, urlPath: string): Promise<{ status: number; body: string }> => p.viaRouter(target, urlPath);
  const push = async (dir: string, name: string): Promise<void> => {
    const r = await run('git', ['push', '-f', `${p.controller.url}/${name}.git`, 'master'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
  };
  const rows = async (): Promise<string> => (await get(app, '/read')).body;
  const serverContainer = async (name = pgName): Promise<string> => {
    const list = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.addon=${name}`, `${p.config.label}.addon-role=server`] } });
    assert.equal(list.length, 1);
    return list[0].Id;
  };
  const clients = async (addonId: string) => p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.addon-id=${addonId}`, `${p.config.label}.addon-role=client`] } });
  /** Redis commands (one a line) through the API's one-shot redis-cli: the output. */
  const redisDo = async (script: string): Promise<string> => {
    const r = await p.api<{ exit_code: number; output: string }>('POST', `/addons/${redisName}/actions/redis-cli`, { script });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.exit_code, 0, r.body.output);
    return r.body.output;
  };
  const backupsOf = async (addon: string) => (await p.api<Array<{ name: string; kind: string; status: string; error: string | null }>>('GET', `/addons/${addon}/backups`)).body;

  before(async () => {
    p = await startTestPlatform({}, undefined, { addonClock: { now: () => new Date(Date.now() + clockAhead), tickMs: 200 } });
    await ensureAddonImages({ docker: p.docker, baseImage: p.config.stackBuildImage, label: p.config.label, log: () => undefined });
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    await cli(['login', '--api', p.controller.url, '--token', p.adminToken]);
    await cli(['apps:create', app]);
    await cli(['apps:create', other]);
    appDir = tempDir('paas-addon-app-');
    for (const name of closure(['pg', 'ioredis'])) {
      fs.cpSync(path.join(ROOT, 'node_modules', name), path.join(appDir, 'node_modules', name), { recursive: true });
    }
    await commitFiles(appDir, {
      'package.json': JSON.stringify({ name: 'addon-sample', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'server.js': SERVER,
    }, 'v1', env);
    const t = Date.now();
    await Promise.all([push(appDir, app), push(appDir, other)]);
    if (process.env.ADDON_TIMING) console.log(`TIMING ${Date.now() - t} ms: pushes`);
  });
  afterEach(killChildren);
  after(async () => { await p?.stop(); });

  test('addons:create heroku-postgresql: DATABASE_URL set in a release naming the add-on; the app writes a row', async () => {
    const out = await cli(['addons:create', 'heroku-postgresql:essential-0', '-a', app, '--json']);
    const addon = JSON.parse(out) as { id: string; name: string; state: string; config_vars: string[] };
    assert.equal(addon.state, 'provisioned');
    assert.deepEqual(addon.config_vars, ['DATABASE_URL']);
    assert.match(addon.name, /^postgresql-[a-z]+-\d{5}$/);
    pgName = addon.name;
    pgId = addon.id;
    const url = (await cli(['config:get', 'DATABASE_URL', '-a', app])).trim();
    // The host is the server's fixed address on the add-on's own network.
    assert.match(url, /^postgres:\/\/u[0-9a-f]{12}:[0-9a-f]{48}@10\.213\.\d+\.\d+:5432\/d[0-9a-f]{12}$/);
    assert.match(await cli(['releases', '-a', app]), new RegExp(`Attach DATABASE \\(${pgName}\\)`));
    assert.equal((await get(app, '/write?v=first')).body, 'ok');
    assert.equal(await rows(), '["first"]');
    // Never published on the host.
    const info = await p.docker.getContainer(await serverContainer()).inspect();
    assert.deepEqual(Object.values(info.NetworkSettings.Ports ?? {}).filter(Boolean), []);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [`${p.config.label}-addon-${pgName}-${pgId.slice(0, 8)}`]);
  });

  test('Redis: REDIS_URL, the app counts in it (AOF on)', async () => {
    const out = await cli(['addons:create', 'redis', '-a', app, '--json']);
    ({ name: redisName, id: redisId } = JSON.parse(out) as { id: string; name: string });
    assert.match(redisName, /^redis-[a-z]+-\d{5}$/);
    assert.equal((await get(app, '/count')).body, '1');
    assert.equal((await get(app, '/count')).body, '2');
    const info = await cli(['redis:info', '-a', app, '--json']);
    assert.equal((JSON.parse(info) as { aof_enabled: boolean }).aof_enabled, true);
    assert.match(await cli(['redis:cli', '-a', app, '--', 'GET', 'hits']), /^2$/m);
  });

  test('the row survives a redeploy, a restart of the add-on container, a crash of it and a platform restart', async () => {
    await commitFiles(appDir, { 'version.txt': 'v2' }, 'v2', env);
    await push(appDir, app);
    assert.equal(await rows(), '["first"]');

    await p.docker.getContainer(await serverContainer()).restart({ t: 5 });
    await eventually(async () => assert.equal(await rows(), '["first"]'), 20_000);

    // Killed from outside: Docker leaves it stopped, the add-on supervisor starts it again.
    await p.docker.getContainer(await serverContainer()).kill();
    await eventually(async () => {
      assert.equal((await p.docker.getContainer(await serverContainer()).inspect()).State.Running, true);
      assert.equal(await rows(), '["first"]');
    }, 30_000);

    await p.restartController();
    assert.equal(await rows(), '["first"]');
    assert.equal((await get(app, '/count')).body, '3');
    assert.match(await cli(['addons:info', pgName]), /State: +provisioned[\s\S]*Server: +up/);
    assert.match(await cli(['ps', '-a', app]), new RegExp(`=== add-ons \\(2\\)\\n${pgName} \\(heroku-postgresql:local\\): provisioned, server up`));
  });

  test('capture, drop the table with pg:psql -c, restore: the row is back; download gives the archive', async () => {
    assert.match(await cli(['pg:backups:capture', '-a', app]), /done, b001 \(.+, verified\)/);
    assert.match(await cli(['pg:psql', '-a', app, '-c', 'DROP TABLE notes']), /DROP TABLE/);
    assert.match(await rows(), /error: relation "notes" does not exist/);
    assert.match(await cli(['pg:backups:restore', 'b001', '-a', app], 1), /Run again with --confirm/);
    assert.match(await cli(['pg:backups:restore', 'b001', '-a', app, '--confirm', app]), /done/);
    assert.equal(await rows(), '["first"]');
    // A one-off dyno of the app is on the add-on's network too.
    // (no $, backtick, double quote or ! in it: the CLI hands it to bash in double quotes)
    const oneOff = "const c = new (require('pg').Client)(process.env.DATABASE_URL); c.connect().then(() => c.query('SELECT body FROM notes')).then((r) => { console.log('rows', JSON.stringify(r.rows)); process.exit(0); }, (e) => { console.log('error', e.message); process.exit(1); })";
    assert.match(await cli(['run', '-a', app, '--no-tty', '--', 'node', '-e', oneOff]), /rows \[\{"body":"first"\}\]/);
    assert.match(await cli(['pg:backups', '-a', app]), /b001 .* Completed .* \d+(\.\d)? (B|kB)/);
    const file = path.join(tempDir('paas-dl-'), 'b001.dump');
    await cli(['pg:backups:download', 'b001', '-o', file, '-a', app]);
    assert.equal(fs.readFileSync(file).subarray(0, 5).toString(), 'PGDMP');
    // A failing SQL statement: psql's exit status is the CLI's.
    assert.match(await cli(['pg:psql', '-a', app, '-c', 'SELECT nope'], 1), /column "nope" does not exist/);
  });

  test('pg:psql and redis:cli on a terminal: a live session (size, resize, Ctrl-C, exit), piped stdin; limits; removed after', async () => {
    const psql = spawnCli(['pg:psql', '-a', app], { ...env, TERM: 'xterm' }, { cols: 100, rows: 30, cols2: 120, rows2: 40 });
    const type = (keys: string): void => { psql.child.stdin?.write(keys); };
    await psql.expect(new RegExp(`--> Connecting to ${pgName}`));
    await psql.expect(/d[0-9a-f]{12}=> $/m);
    // The client runs next to the server, with limits, on the add-on's network only.
    const [running] = await clients(pgId);
    assert.equal(running?.State, 'running');
    const info = await p.docker.getContainer(running.Id).inspect();
    assert.equal(info.Config.Tty, true);
    assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(info.HostConfig.PidsLimit, 64);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [`${p.config.label}-addon-${pgName}-${pgId.slice(0, 8)}`]);
    type('\\! stty size\r');
    await psql.expect(/30 100/);
    let mark = psql.out.stdout.length;
    type('SELECT pg_sleep(60);\r');
    await psql.expect(/pg_sleep\(60\);\r+\n/, mark);
    await new Promise((r) => setTimeout(r, 500));
    type('\x03'); // Ctrl-C: psql cancels the query and stays
    await psql.expect(/canceling statement due to user request/, mark);
    psql.child.kill('SIGUSR1'); // the harness resizes its terminal: SIGWINCH to the CLI
    mark = psql.out.stdout.length;
    await eventually(async () => {
      type('\\! stty size\r');
      await psql.expect(/40 120/, mark, 1000);
    }, 20_000); // on a loaded machine (a CI run) the old size was once still there after 10 s
    type('SELECT body FROM notes;\r');
    await psql.expect(/ first\r*\n/, mark);
    type('\\q\r');
    assert.equal(await psql.exit(), 0, psql.out.stdout + psql.out.stderr);
    assert.match(psql.out.stdout, /\[pty: canonical echo on\]/);

    const redis = spawnCli(['redis:cli', '-a', app], { ...env, TERM: 'xterm' }, { cols: 80, rows: 24, cols2: 80, rows2: 24 });
    await redis.expect(/6379> /);
    redis.child.stdin?.write('PING\r');
    await redis.expect(/PONG/);
    redis.child.stdin?.write('quit\r');
    assert.equal(await redis.exit(), 0, redis.out.stdout);

    // Piped stdin: the script runs, its output and exit status come back.
    const piped = spawnCli(['pg:psql', '-a', app], env);
    piped.child.stdin?.end('SELECT 6 * 7 AS answer;\nSELECT nope;\nSELECT 1;\n');
    assert.equal(await piped.exit(), 3, piped.out.stderr); // psql: a script stopped by an error (ON_ERROR_STOP)
    assert.match(piped.out.stdout, /answer\s+-+\s+42/);
    assert.match(piped.out.stderr, /column "nope" does not exist/);
    const pipedRedis = spawnCli(['redis:cli', '-a', app], env);
    pipedRedis.child.stdin?.end('SET piped yes\nGET piped\n');
    assert.equal(await pipedRedis.exit(), 0, pipedRedis.out.stderr);
    assert.equal(pipedRedis.out.stdout, 'OK\nyes\n');

    // A client that goes away (killed, its socket closed): the session is hung up and removed.
    const dropped = spawnCli(['pg:psql', '-a', app], env); // stdin stays open: psql waits for input
    await eventually(async () => assert.equal((await clients(pgId))[0]?.State, 'running'), 15_000);
    dropped.child.kill('SIGKILL');

    // No client containers are left; the app's log says who started what.
    await eventually(async () => assert.deepEqual([...await clients(pgId), ...await clients(redisId)], []), 15_000);
    const log = await cli(['logs', '-a', app, '-n', '300']);
    assert.match(log, new RegExp(`paas\\[psql\\.\\d+\\]: Starting process with command \`psql \\(${pgName}\\)\` by user admin@`));
    assert.match(log, /paas\[psql\.\d+\]: Process exited with status 0/);
    assert.match(log, /paas\[psql\.\d+\]: Client disconnected: sending SIGHUP/);
  });

  test('another tenant can neither open a client session nor attach to one; its owner can; a restarted controller removes what it left', async () => {
    const eve = await p.api<{ access_token: { token: string } }>('POST', '/users', { email: `eve-${process.pid}@example.com` });
    assert.equal(eve.status, 201);
    const token = eve.body.access_token.token;
    const asEve = (method: string, urlPath: string, body?: unknown) => fetch(`${p.controller.url}${urlPath}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal((await asEve('POST', '/apps', { name: `eve-${process.pid}` })).status, 201);
    assert.equal((await asEve('POST', `/addons/${pgName}/client-sessions`, {})).status, 404);
    assert.equal((await asEve('POST', `/addons/${pgName}/client-sessions`, { app: `eve-${process.pid}` })).status, 404);
    assert.match(await cli(['pg:psql', '-a', app, '-c', 'SELECT 1'], 0), /1 row/);
    // The owner may not route a session through an app the add-on is not attached to.
    assert.equal((await p.api('POST', `/addons/${pgName}/client-sessions`, { app: other })).status, 404);

    const session = await p.api<{ name: string; attach_url: string; app: { name: string } }>('POST', `/addons/${pgName}/client-sessions`, { command: 'SELECT 40 + 2 AS n' });
    assert.equal(session.status, 201);
    assert.equal(session.body.app.name, app);
    assert.equal(await attachRefusal(session.body.attach_url, token), 404);
    assert.equal(await attachRefusal(session.body.attach_url, null), 401);
    const [waiting] = await clients(pgId);
    assert.equal(waiting?.State, 'created', 'nothing ran for the refused clients');
    const result = await attachOutput(session.body.attach_url, p.adminToken);
    assert.equal(result.exit, 0);
    assert.match(result.text, /n\s+-+\s+42/);
    await eventually(async () => assert.deepEqual(await clients(pgId), []), 10_000);

    // A session the controller was holding when it stopped is removed by the next one.
    assert.equal((await p.api('POST', `/addons/${pgName}/client-sessions`, {})).status, 201);
    assert.equal((await clients(pgId)).length, 1);
    await p.restartController();
    await eventually(async () => assert.deepEqual(await clients(pgId), []), 15_000);
  });

  test('redis:backups: capture (RDB, verified), restore replaces the data and survives a restart, a bad RDB is refused, download', async () => {
    await redisDo('SET k before\n');
    assert.match(await cli(['redis:backups:capture', '-a', app]), /done, b001 \(.+, verified\)/);
    await redisDo('SET k after\nSET extra 1\n');
    assert.match(await cli(['redis:backups:restore', 'b001', '-a', app], 1), /Run again with --confirm/);
    assert.match(await cli(['redis:backups:restore', 'b001', '-a', app, '--confirm', app]), /done/);
    assert.equal(await redisDo('MGET k extra\n'), 'before\n\n');
    // The AOF was rewritten from the restored data: a restart keeps it, and the server is writable.
    await p.docker.getContainer(await serverContainer(redisName)).restart({ t: 5 });
    await eventually(async () => assert.equal(await redisDo('GET k\n'), 'before\n'), 20_000);
    assert.equal(await redisDo('SET k writable\n'), 'OK\n');
    assert.match(await cli(['logs', '-a', app, '-n', '300']), new RegExp(`Restored ${redisName} b001 into ${redisName}`));

    const file = path.join(tempDir('paas-dl-'), 'b001.rdb');
    await cli(['redis:backups:download', 'b001', '-o', file, '-a', app]);
    assert.equal(fs.readFileSync(file).subarray(0, 5).toString(), 'REDIS');

    // An RDB that was bad from the start (its checksum is the recorded one): redis-check-rdb refuses it.
    assert.match(await cli(['redis:backups:capture', '-a', app]), /b002/);
    const b002 = path.join(p.config.dataDir, 'addons', 'backups', redisId, 'b002.dump');
    const bytes = fs.readFileSync(b002);
    bytes.fill(0x41, 9, bytes.length - 10);
    fs.writeFileSync(b002, bytes);
    const sha = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
    p.controller.db.prepare(`UPDATE addon_backups SET sha256 = ? WHERE addon_id = ? AND name = 'b002'`).run(sha, redisId);
    assert.match(await cli(['redis:backups:restore', 'b002', '-a', app, '--confirm', app], 1), /b002 .* failed verification \(redis-check-rdb cannot read it\); nothing was restored/);
    assert.equal(await redisDo('GET k\n'), 'writable\n');
    assert.match(await cli(['redis:backups', '-a', app]), /b002 .* FAILED: verification failed: redis-check-rdb cannot read it[\s\S]*b001 .* Completed/);
    // A Postgres backup is not restored into Redis.
    assert.match(await cli(['redis:backups:restore', `${pgName}::b001`, '-a', app, '--confirm', app], 1), /not the same kind of add-on/);
  });

  test('a daily schedule fires for real at its time (the platform clock set ahead), once per day', async () => {
    const at = new Date(Date.now() + clockAhead + 2 * 60_000);
    const hhmm = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
    assert.match(await cli(['redis:backups:schedule', '--at', `${hhmm} UTC`, '-a', app]), new RegExp(`Scheduled daily backups of ${redisName} at ${hhmm} UTC`));
    const scheduled = async () => (await backupsOf(redisName)).filter((b) => b.kind === 'scheduled');
    await new Promise((r) => setTimeout(r, 1000)); // five ticks before its time: nothing
    assert.deepEqual(await scheduled(), []);
    clockAhead += 2 * 60_000;
    await eventually(async () => assert.deepEqual((await scheduled()).map((b) => b.status), ['succeeded']), 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // more ticks in the same day: not again
    assert.equal((await scheduled()).length, 1);
    clockAhead += 24 * 3600_000;
    await eventually(async () => assert.deepEqual((await scheduled()).map((b) => b.status), ['succeeded', 'succeeded']), 20_000);
    const [first] = await scheduled();
    assert.match(first.name, /^a\d{3}$/);
    assert.match(await cli(['logs', '-a', app, '-n', '300']), new RegExp(`Backup ${first.name} of ${redisName} succeeded: \\d+ bytes, verified`));
    assert.match(await cli(['redis:backups:unschedule', '-a', app]), /Stopped scheduled backups/);
  });

  test('a damaged backup is reported failed (CLI, API, app log) and not restored', async () => {
    await cli(['pg:psql', '-a', app, '-c', "INSERT INTO notes VALUES ('second')"]);
    assert.match(await cli(['pg:backups:capture', '-a', app]), /b002/);
    const file = path.join(p.config.dataDir, 'addons', 'backups', pgId, 'b002.dump');
    const bytes = fs.readFileSync(file);
    bytes.fill(0x41, 100, 400);
    fs.writeFileSync(file, bytes);
    await cli(['pg:psql', '-a', app, '-c', "INSERT INTO notes VALUES ('third')"]);
    const out = await cli(['pg:backups:restore', 'b002', '-a', app, '--confirm', app], 1);
    assert.match(out, /b002 .* failed verification: its file is damaged/);
    assert.equal(await rows(), '["first","second","third"]');
    assert.match(await cli(['pg:backups', '-a', app]), /b002 .* FAILED: verification failed: its file is damaged/);
    const api = await p.api<Array<{ name: string; status: string; error: string }>>('GET', `/addons/${pgName}/backups`);
    assert.equal(api.body.find((b) => b.name === 'b002')?.status, 'failed');
    assert.match(await cli(['logs', '-a', app, '-n', '200']), /Backup b002 of postgresql-\S+ FAILED verification/);
  });

  test('a dyno of an app the add-on is not attached to cannot reach it; attach --as, 409 twice, detach', async () => {
    const url = (await cli(['config:get', 'DATABASE_URL', '-a', app])).trim();
    const ip = Object.values((await p.docker.getContainer(await serverContainer()).inspect()).NetworkSettings.Networks)[0].IPAddress;
    assert.match((await get(other, `/probe?url=${encodeURIComponent(url)}`)).body, /^error: (getaddrinfo|connect|Connection terminated|timeout)/i);
    assert.match((await get(other, `/tcp?host=${ip}`)).body, /^failed: /);

    assert.match(await cli(['addons:attach', pgName, '-a', other, '--as', 'shared']), /Attaching postgresql-\S+ as SHARED/);
    const shared = (await cli(['config:get', 'SHARED_URL', '-a', other])).trim();
    assert.equal(shared, url);
    await eventually(async () => assert.equal((await get(other, `/probe?url=${encodeURIComponent(shared)}`)).body, 'connected'), 10_000);
    assert.match(await cli(['addons:attach', pgName, '-a', other, '--as', 'SHARED'], 1), /already has an add-on attached as SHARED/);
    assert.match(await cli(['addons:attach', pgName, '-a', other, '--as', '1bad'], 1), /Invalid attachment name/);

    assert.match(await cli(['addons:detach', 'SHARED', '-a', other]), /Detaching SHARED/);
    assert.equal((await cli(['config:get', 'SHARED_URL', '-a', other])).trim(), '');
    assert.match((await get(other, `/probe?url=${encodeURIComponent(url)}`)).body, /^error: /);
    assert.match(await cli(['releases', '-a', other]), new RegExp(`Detach SHARED \\(${pgName}\\)`));
  });

  test('bad input: unknown plan 422 with the plans, bad names 422, another user cannot destroy (404)', async () => {
    const plan = await p.api<{ id: string; message: string }>('POST', `/apps/${app}/addons`, { plan: 'mysql' });
    assert.equal(plan.status, 422);
    assert.match(plan.body.message, /Unknown plan "mysql"\. Plans: heroku-postgresql\[:<tier>\], postgresql, heroku-redis\[:<tier>\], redis/);
    assert.equal((await p.api('POST', `/apps/${app}/addons`, { plan: 'redis', name: 'Bad_Name' })).status, 422);
    assert.equal((await p.api('POST', `/apps/${app}/addons`, { plan: 'redis', attachment: { name: 'a-b' } })).status, 422);
    assert.equal((await p.api('POST', `/apps/${app}/addons`, { plan: 'redis' })).status, 409); // REDIS taken
    const user = await p.api<{ access_token: { token: string } }>('POST', '/users', { email: `mallory-${process.pid}@example.com` });
    assert.equal(user.status, 201);
    const asMallory = (method: string, urlPath: string) => fetch(`${p.controller.url}${urlPath}`, { method, headers: { authorization: `Bearer ${user.body.access_token.token}` } });
    assert.equal((await asMallory('DELETE', `/apps/${app}/addons/${pgName}`)).status, 404);
    assert.equal((await asMallory('GET', `/addons/${pgName}`)).status, 404);
    assert.equal((await asMallory('POST', `/addons/${pgName}/backups`)).status, 404);
  });

  test('addons:destroy needs --confirm; then detached, gone from Docker, a final backup kept 7 days', async () => {
    assert.match(await cli(['addons:destroy', pgName, '-a', app], 1), new RegExp(`Run again with --confirm ${app}`));
    assert.match(await cli(['addons:destroy', pgName, '-a', app, '--confirm', app]), /Destroying postgresql-\S+ on .*done/);
    assert.equal((await cli(['config:get', 'DATABASE_URL', '-a', app])).trim(), '');
    assert.doesNotMatch(await cli(['addons', '-a', app]), new RegExp(pgName));
    assert.deepEqual(await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.addon=${pgName}`] } }), []);
    assert.deepEqual((await p.docker.listVolumes({ filters: { label: [`${p.config.label}.addon=${pgName}`] } })).Volumes ?? [], []);
    const final = p.controller.db.prepare(`SELECT name, status, expires_at FROM addon_backups WHERE addon_id = ? AND kind = 'final'`).get(pgId) as { name: string; status: string; expires_at: string };
    assert.equal(final.status, 'succeeded');
    const days = (Date.parse(final.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, String(days));
    assert.ok(fs.existsSync(path.join(p.config.dataDir, 'addons', 'backups', pgId, `${final.name}.dump`)));
  });

  test('addons:destroy --force destroys an add-on whose final backup fails; without it nothing is destroyed', async () => {
    // The add-on's user takes replication (which RDB snapshots use) away from its own server.
    assert.equal(await redisDo('ACL SETUSER default -sync -psync\n'), 'OK\n');
    const refused = await cli(['addons:destroy', redisName, '-a', app, '--confirm', app], 1);
    assert.match(refused, new RegExp(`The final backup of ${redisName} failed, so it was not destroyed: .*--force`));
    assert.equal((await cli(['config:get', 'REDIS_URL', '-a', app])).trim().startsWith('redis://'), true);
    assert.equal((await serverContainer(redisName)).length > 0, true);
    assert.match(await cli(['addons:destroy', redisName, '-a', app, '--confirm', app, '--force']), /Destroying redis-\S+ on .*done/);
    assert.equal((await cli(['config:get', 'REDIS_URL', '-a', app])).trim(), '');
    assert.deepEqual(await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.addon-id=${redisId}`] } }), []);
    const finals = p.controller.db.prepare(`SELECT status, error FROM addon_backups WHERE addon_id = ? AND kind = 'final'`).all(redisId) as Array<{ status: string; error: string }>;
    assert.deepEqual(finals.map((f) => f.status), ['failed', 'failed']);
    assert.match(await cli(['logs', '-a', app, '-n', '300']), new RegExp(`Add-on ${redisName} is destroyed by admin@\\S+ with --force WITHOUT a final backup`));
  });
});
