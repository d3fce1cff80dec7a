// Add-ons end to end, nothing mocked: real PostgreSQL 15 and Redis 7 servers in containers, a
// real app (using the `pg` and `ioredis` npm packages, vendored in its source: builds have no
// network) pushed with git, the real CLI. One Postgres and one Redis add-on are provisioned
// once and shared by the cases, which run in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAddonImages } from '../builder/addon-images.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
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
  const serverContainer = async (): Promise<string> => {
    const list = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.addon=${pgName}`, `${p.config.label}.addon-role=server`] } });
    assert.equal(list.length, 1);
    return list[0].Id;
  };

  before(async () => {
    p = await startTestPlatform();
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
    const out = await cli(['addons:create', 'redis', '-a', app]);
    assert.match(out, /attached as REDIS_URL/);
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
});
