// End to end, nothing mocked: the CLI logs in and creates apps, the real git client pushes,
// the builder builds in containers and pushes to the registry, the scheduler runs the image,
// and the answer comes back through the router.
import { after, before, describe, test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { httpGet, startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, paas, run, tempDir, userEnv } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';
import { registryAuthHeaders } from '../common/registry-auth.ts';
import net from 'node:net';
import { parseOctetCounted, parseSyslogMessage } from '../common/syslog-frame.ts';

// Answers every path but /unhealthy (503), so a health check on /unhealthy fails: the
// health_check_path test proves the path is used.
const server = (greeting: string): string =>
  `require('http').createServer((req, res) => req.url === '/unhealthy' ? (res.statusCode = 503, res.end('no')) : res.setHeader('x-dyno', String(process.env.DYNO)).end(${JSON.stringify(greeting)} + (process.env.GREETING ? ' ' + process.env.GREETING : '') + ' ' + req.url)).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));\n`;

describe('git push to a running app', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  const app = `hello-${process.pid}`;
  let gitUrl = '';

  before(async () => {
    p = await startTestPlatform();
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
  });
  after(async () => { await p.stop(); drain?.close(); });

  // A syslog receiver in this process: the app's drain (added below) ships here.
  let drain: net.Server | undefined;
  const drained: string[] = [];

  test('paas login stores the token in ~/.netrc; apps:create --json returns the app', async () => {
    const login = await paas(['login', '--api', p.controller.url, '--token', p.adminToken], env);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Logged in as admin@paas\.local/);
    const created = await paas(['apps:create', app, '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { name: string; git_url: string; web_url: string };
    assert.equal(json.name, app);
    gitUrl = json.git_url;
    assert.equal(gitUrl, `${p.controller.url}/${app}.git`);
    const bad = await paas(['apps:create', 'Bad_Name'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ ! +Name "Bad_Name" is invalid/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  test('a push builds a Node.js app, streams the log and serves it through the router', async () => {
    const dir = tempDir('paas-app-');
    await commitFiles(dir, {
      'package.json': JSON.stringify({ name: 'hello', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'server.js': server('hello v1'),
    }, 'v1', env);
    const push = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /remote: -----> Building/);
    assert.match(push.stderr, /remote: -----> Launching\.\.\. done, v1/);
    assert.match(push.stderr, new RegExp(`remote: +http://${app}\\.localhost:${p.routerPort}/ deployed`));
    await eventually(async () => {
      const res = await p.viaRouter(app, '/ping');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello v1 /ping');
    });

    const releases = await p.api<Array<{ version: number; status: string; current: boolean }>>('GET', `/apps/${app}/releases`);
    assert.deepEqual(releases.body.map((r) => [r.version, r.status, r.current]), [[1, 'succeeded', true]]);
    const tags = await fetch(`http://${p.config.registry}/v2/${app}/tags/list`, { headers: registryAuthHeaders(p.config.registryAuth) }).then((r) => r.json()) as { tags: string[] };
    assert.ok(tags.tags.includes('v1'), `registry tags: ${tags.tags}`);
    const containers = await p.docker.listContainers({ filters: { label: [`paastest.app=${app}`] } });
    assert.equal(containers.length, 1);
    const info = await p.docker.getContainer(containers[0].Id).inspect();
    assert.equal(info.Config.User, '1000:1000');
    assert.ok(info.HostConfig.Memory && info.HostConfig.Memory > 0);
    assert.ok(info.HostConfig.PidsLimit && info.HostConfig.PidsLimit > 0);
    assert.equal(info.Config.Labels['paastest.dyno'], 'web.1');
    assert.equal(info.Config.Labels['paastest.release'], '1');

    // A second push replaces the release; the old container goes away.
    await commitFiles(dir, { 'server.js': server('hello v2') }, 'v2', env);
    const push2 = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env });
    assert.equal(push2.code, 0, push2.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 /'));
    const after = await p.docker.listContainers({ all: true, filters: { label: [`paastest.app=${app}`] } });
    assert.deepEqual(after.map((c) => c.Labels['paastest.release']), ['2']);

    // A push whose build fails is rejected and v2 keeps serving.
    await commitFiles(dir, { 'package.json': '{ "name": "hello", oops' }, 'broken', env);
    const bad = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /remote: +! +Push rejected/);
    assert.match(bad.stderr, /pre-receive hook declined/);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 /'));
    const builds = await p.api<Array<{ status: string }>>('GET', `/apps/${app}/builds`);
    assert.deepEqual(builds.body.map((b) => b.status), ['succeeded', 'succeeded', 'failed']);

    // A build that succeeds but whose web process crashes at boot is not activated.
    await commitFiles(dir, {
      'package.json': JSON.stringify({ name: 'hello', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'Procfile': 'web: node -e "console.log(\'boom at boot\'); process.exit(3)"\n',
    }, 'crashes', env);
    const crash = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env });
    assert.notEqual(crash.code, 0);
    assert.match(crash.stderr, /web\.1 exited during boot/);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 /'));
    const rels = await p.api<Array<{ version: number; status: string; current: boolean }>>('GET', `/apps/${app}/releases`);
    assert.deepEqual(rels.body.map((r) => [r.version, r.status, r.current]), [[1, 'succeeded', false], [2, 'succeeded', true], [3, 'failed', false]]);
    const left = await p.docker.listContainers({ all: true, filters: { label: [`paastest.app=${app}`] } });
    assert.deepEqual(left.map((c) => c.Labels['paastest.release']), ['2']);
  });

  test('paas drains:add ships the app log to a syslog receiver; paas drains lists it', async () => {
    drain = net.createServer((socket) => {
      let rest: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        const parsed = parseOctetCounted(Buffer.concat([rest, chunk]));
        drained.push(...parsed.messages);
        rest = parsed.rest;
      });
    });
    await new Promise<void>((resolve) => drain!.listen(0, '127.0.0.1', () => resolve()));
    const url = `syslog+tcp://127.0.0.1:${(drain.address() as AddressInfo).port}`;
    const added = await paas(['drains:add', url, '-a', app], env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout.trim(), `Successfully added drain ${url}`);
    const listed = await paas(['drains', '-a', app], env);
    assert.match(listed.stdout, new RegExp(`^=== Drains\n${url.replace(/[.+]/g, '\\$&')} \\(d\\.[0-9a-f-]{36}\\)$`, 'm'));
    const json = JSON.parse((await paas(['drains', '-a', app, '--json'], env)).stdout) as Array<{ url: string; token: string; addon: null }>;
    assert.equal(json[0].url, url);
    const refused = await paas(['drains:add', 'syslog+tcp://nope', '-a', app], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr.trim(), /has no port/);
  });

  test('unauthenticated or wrongly authenticated git requests are refused', async () => {
    const stranger = userEnv(tempDir('paas-home-'));
    const dir = tempDir('paas-app-');
    await commitFiles(dir, { 'Procfile': 'web: true\n' }, 'x', stranger);
    const anon = await run('git', ['push', gitUrl, 'master'], { cwd: dir, env: stranger });
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /Authentication failed|could not read Username|401/);
    const wrong = gitUrl.replace('://', '://user:not-a-token@');
    const bad = await run('git', ['push', wrong, 'master'], { cwd: dir, env: stranger });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Authentication failed/);
    const refs = await fetch(`${gitUrl}/info/refs?service=git-receive-pack`, { headers: { authorization: `Basic ${Buffer.from('user:not-a-token').toString('base64')}` } });
    assert.equal(refs.status, 401, 'a wrong token is a 401, not some other failure');
    // The pack POST itself is checked too, not only the ref advertisement.
    const post = await fetch(`${gitUrl}/git-receive-pack`, { method: 'POST', body: '0000' });
    assert.equal(post.status, 401);
    const unknown = await run('git', ['push', `${p.controller.url}/no-such-app.git`, 'master'], { cwd: dir, env });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not found/i);
  });

  test('a Dockerfile app builds with the classic builder, runs its release phase and is served', async () => {
    const name = `docker-${process.pid}`;
    assert.equal((await p.api('POST', '/apps', { name })).status, 201);
    const dir = tempDir('paas-app-');
    await commitFiles(dir, {
      'Dockerfile': 'FROM paas/busybox:test\nCOPY www /www\nCMD ["sh", "-c", "exec httpd -f -p $PORT -h /www"]\n',
      'www/index.html': 'hello from a Dockerfile\n',
    }, 'docker', env);
    const url = `${p.controller.url}/${name}.git`;
    const push = await run('git', ['push', url, 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
    await eventually(async () => {
      const res = await p.viaRouter(name);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello from a Dockerfile\n');
    });

    // A Procfile overrides the image's CMD; its release command runs before the dynos start.
    await commitFiles(dir, {
      'Procfile': 'web: exec httpd -f -p $PORT -h /www/v2\nrelease: echo "migrating to $PAAS_STAGE"; exit 3\n',
      'www/v2/index.html': 'v2\n',
    }, 'release fails', env);
    await p.api('PATCH', `/apps/${name}/config-vars`, { PAAS_STAGE: 'two' });
    const failed = await run('git', ['push', url, 'master'], { cwd: dir, env });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /remote: +migrating to two/);
    assert.match(failed.stderr, /release command failed with exit status 3/);
    assert.equal((await p.viaRouter(name)).body, 'hello from a Dockerfile\n');

    await commitFiles(dir, { 'Procfile': 'web: exec httpd -f -p $PORT -h /www/v2\nrelease: echo "migrating to $PAAS_STAGE"\n' }, 'release ok', env);
    const ok = await run('git', ['push', url, 'master'], { cwd: dir, env });
    assert.equal(ok.code, 0, ok.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(name)).body, 'v2\n'));
  });

  test('builds:create deploys a tarball from a URL without git (CI)', async () => {
    const name = `blob-${process.pid}`;
    assert.equal((await p.api('POST', '/apps', { name })).status, 201);
    const src = tempDir('paas-blob-');
    fs.mkdirSync(path.join(src, 'app-1.0'));
    fs.writeFileSync(path.join(src, 'app-1.0/package.json'), JSON.stringify({ name: 'blob', scripts: { start: 'node server.js' } }));
    fs.writeFileSync(path.join(src, 'app-1.0/server.js'), server('from a tarball'));
    const tgz = path.join(src, 'source.tgz');
    execFileSync('tar', ['-C', src, '-czf', tgz, 'app-1.0']);
    const files = http.createServer((req, res) => {
      if (req.url === '/source.tgz') fs.createReadStream(tgz).pipe(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/source.tgz`;
      const out = await paas(['builds:create', '--source-url', url, '--version', 'ci-42', '-a', name], env);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /-----> Releasing v1/);
      assert.match(out.stdout, /Build \S+ succeeded/);
      await eventually(async () => assert.equal((await p.viaRouter(name)).body, 'from a tarball /'));
      const builds = await p.api<Array<{ status: string; source_blob: { version: string } }>>('GET', `/apps/${name}/builds`);
      assert.deepEqual(builds.body.map((b) => [b.status, b.source_blob.version]), [['succeeded', 'ci-42']]);
      const bad = await paas(['builds:create', '--source-url', `${url}.missing`, '-a', name], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Could not download source_blob.url/);
    } finally {
      files.close();
    }
  });

  test('day to day from the CLI: config:set, ps:scale, ps, releases, rollback', async () => {
    const a = ['-a', app];
    const set = await paas(['config:set', 'GREETING=howdy', ...a], env);
    assert.equal(set.code, 0, set.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 howdy /'));
    const got = await paas(['config:get', 'GREETING', ...a], env);
    assert.equal(got.stdout, 'howdy\n');
    const scale = await paas(['ps:scale', 'web=3', ...a], env);
    assert.equal(scale.code, 0, scale.stderr);
    assert.match(scale.stdout, /now running web at 3/);
    const ps = JSON.parse((await paas(['ps', ...a, '--json'], env)).stdout) as Array<{ name: string; state: string }>;
    assert.deepEqual(ps.map((d) => `${d.name} ${d.state}`), ['web.1 up', 'web.2 up', 'web.3 up']);
    // The router balances over every web dyno.
    const served = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await p.viaRouter(app);
      assert.equal(res.body, 'hello v2 howdy /');
      served.add(String(res.headers['x-dyno']));
    }
    assert.deepEqual([...served].sort(), ['web.1', 'web.2', 'web.3']);
    const down = await paas(['ps:scale', 'web=2', ...a], env);
    assert.equal(down.code, 0, down.stderr);
    const ps2 = JSON.parse((await paas(['ps', ...a, '--json'], env)).stdout) as Array<{ name: string }>;
    assert.deepEqual(ps2.map((d) => d.name), ['web.1', 'web.2']);
    for (let i = 0; i < 4; i++) assert.notEqual((await p.viaRouter(app)).headers['x-dyno'], 'web.3');
    const badScale = await paas(['ps:scale', 'web=two', ...a], env);
    assert.equal(badScale.code, 1);
    assert.match(badScale.stderr, /web=two is invalid/);
    const rollback = await paas(['rollback', 'v2', ...a], env);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /Rollback to v2/);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 /'));
    const releases = JSON.parse((await paas(['releases', ...a, '--json'], env)).stdout) as Array<{ version: number; description: string; status: string; current: boolean }>;
    assert.deepEqual(releases.map((r) => r.description).slice(-2), ['Set GREETING config var', 'Rollback to v2']);
    assert.deepEqual(releases.map((r) => r.status), ['succeeded', 'succeeded', 'failed', 'succeeded', 'succeeded']);
    assert.equal(releases.at(-1)?.current, true);
    const after = JSON.parse((await paas(['ps', ...a, '--json'], env)).stdout) as Array<{ name: string; release: { version: number } }>;
    assert.deepEqual(after.map((d) => d.name), ['web.1', 'web.2']);
    assert.ok(after.every((d) => d.release.version === releases.at(-1)?.version));

    const oneOff = await paas(['run', '-a', app, '--', 'node', '-e', `console.log("one-off", process.env.DYNO, "it's"); process.exit(7)`], env);
    assert.equal(oneOff.code, 7, oneOff.stderr);
    assert.match(oneOff.stdout, /^one-off run\.\d+ it's\n$/);
    const restart = await paas(['ps:restart', 'web', '-a', app], env);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /Restarting web\.1, web\.2 dynos/);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'hello v2 /'));
    const unknown = await paas(['ps:restart', 'web.9', '-a', app], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No dyno web\.9/);
  });

  test('custom domains and maintenance mode reach the router', async () => {
    const add = await paas(['domains:add', 'www.example.test', '-a', app], env);
    assert.equal(add.code, 0, add.stderr);
    await eventually(async () => {
      const res = await httpGet(p.routerPort, 'www.example.test');
      assert.equal(res.body, 'hello v2 /');
    });
    assert.equal((await paas(['maintenance:on', '-a', app], env)).code, 0);
    await eventually(async () => assert.equal((await p.viaRouter(app)).status, 503));
    assert.equal((await paas(['maintenance:off', '-a', app], env)).code, 0);
    await eventually(async () => assert.equal((await p.viaRouter(app)).status, 200));
    assert.equal((await paas(['domains:remove', 'www.example.test', '-a', app], env)).code, 0);
    await eventually(async () => {
      const gone = await httpGet(p.routerPort, 'www.example.test');
      assert.equal(gone.status, 404);
    });
  });

  test('checks:set changes the deploy checks; bad values are one clear line', async () => {
    const set = await paas(['checks:set', 'health_check_path=/ready', 'boot_timeout=30', '-a', app], env);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Setting health_check_path, boot_timeout for .*\.\.\. done/);
    const shown = JSON.parse((await paas(['checks', '-a', app, '--json'], env)).stdout) as { health_check_path: string; boot_timeout: number };
    assert.equal(shown.health_check_path, '/ready');
    assert.equal(shown.boot_timeout, 30);
    const bad = await paas(['checks:set', 'boot_timeout=700', '-a', app], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr.trim(), /^[^\n]*boot_timeout must be an integer from 1 to 600/);
    const restart = await paas(['ps:restart', 'web', '-a', app], env);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal((await p.viaRouter(app)).status, 200);
    // The path is really the one checked (from the next cutover on): a release whose dynos fail
    // it is marked failed and the running one keeps serving.
    assert.equal((await paas(['checks:set', 'health_check_path=/unhealthy', 'boot_timeout=3', '-a', app], env)).code, 0);
    const unhealthy = await paas(['config:set', 'PROBE=1', '-a', app], env);
    assert.equal(unhealthy.code, 1, unhealthy.stdout);
    assert.match(unhealthy.stderr, /health|\/unhealthy|503/i);
    assert.equal((await p.viaRouter(app)).status, 200, 'the old release still serves');
    const unset = await paas(['checks:unset', 'health_check_path', 'boot_timeout', '-a', app], env);
    assert.equal(unset.code, 0, unset.stderr);
    const reset = JSON.parse((await paas(['checks', '-a', app, '--json'], env)).stdout) as { health_check_path: string };
    assert.equal(reset.health_check_path, '/');
  });

  test('paas logs shows dyno output, router access lines and release events', async () => {
    await p.viaRouter(app, '/logged');
    let out = '';
    for (let i = 0; i < 20 && !/path="\/logged"/.test(out); i++) {
      out = (await paas(['logs', '-a', app, '-n', '200'], env)).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /^\d{4}-\d\d-\d\dT\S+ app\[web\.1\]: listening on 5000$/m);
    // The current release, whatever number earlier steps left it at.
    const current = (JSON.parse((await paas(['releases', '-a', app, '--json'], env)).stdout) as Array<{ version: number; current: boolean; description: string }>).find((r) => r.current);
    assert.ok(current);
    assert.match(out, new RegExp(`app\\[api\\]: Release v${current.version} created by admin@paas\\.local: ${current.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const builds = (await paas(['logs', '-a', app, '--dyno', 'build', '-n', '50'], env)).stdout;
    assert.match(builds, /paas\[build\]: Build [0-9a-f-]{36} started by admin@paas\.local \([0-9a-f]{7}\)$/m);
    assert.match(builds, /paas\[build\]: Build [0-9a-f-]{36} succeeded$/m);
    assert.match(out, /paas\[router\]: at=info method=GET path="\/logged" host=\S+ request_id=\S+ fwd="[^"]+" dyno=web\.\d connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http/);
    const web2 = (await paas(['logs', '-a', app, '--dyno', 'web.2'], env)).stdout;
    assert.ok(web2.trim().split('\n').every((l) => l.includes('app[web.2]')), web2);
  });

  test('the drain got dyno output, router lines and release events, as RFC 5424 frames', async () => {
    const frames = () => drained.map((m) => parseSyslogMessage(m)!);
    await eventually(async () => {
      assert.ok(frames().some((f) => f.app === 'app' && /^web\.\d$/.test(f.procid) && f.msg === 'listening on 5000'), 'dyno output');
      assert.ok(frames().some((f) => f.app === 'paas' && f.procid === 'router' && f.msg.includes('path="/logged"')), 'router line');
      assert.ok(frames().some((f) => f.app === 'app' && f.procid === 'api' && /^Release v\d+ created by/.test(f.msg)), 'release event');
    }, 10_000);
    const token = JSON.parse((await paas(['drains', '-a', app, '--json'], env)).stdout)[0].token as string;
    assert.ok(frames().every((f) => f.host === token && f.pri === 190));
    const removed = await paas(['drains:remove', token, '-a', app], env);
    assert.match(removed.stdout, /^Successfully removed drain syslog\+tcp:\/\/127\.0\.0\.1:\d+$/m);
    assert.match((await paas(['drains', '-a', app], env)).stdout, /has no drains/);
  });

  test('paas metrics and paas ps show the requests and each dyno\'s CPU and memory', async () => {
    await p.viaRouter(app, '/measured');
    await p.flushMetrics();
    await p.controller.dynoMetrics.sample();
    await new Promise((r) => setTimeout(r, 500));
    await p.controller.dynoMetrics.sample(); // CPU is the difference between two samples
    const m = JSON.parse((await paas(['metrics', '-a', app, '--json'], env)).stdout) as {
      points: Array<{ requests: number; status: Record<string, number>; dynos: Array<{ name: string; memory_bytes: number | null; cpu_percent: number | null }> }>;
    };
    assert.ok(m.points.reduce((n, x) => n + x.requests, 0) >= 1, 'the requests of the last hour');
    const web1 = m.points.at(-1)!.dynos.find((d) => d.name === 'web.1');
    assert.ok(web1 && web1.memory_bytes !== null && web1.memory_bytes > 0, JSON.stringify(m.points.at(-1)));
    const table = (await paas(['metrics', '-a', app], env)).stdout;
    assert.match(table, /^requests\/s +\S.* now +[\d.]+ +max +[\d.]+$/m);
    assert.match(table, /^web\.1 mem MiB /m);
    const ps = (await paas(['ps', '-a', app], env)).stdout;
    assert.match(ps, /web\.1: up .*  cpu [\d.]+%  mem \d+\/\d+ MiB/);
  });

  test('paas logs --tail follows new lines live until interrupted', async () => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.resolve(import.meta.dirname, '../cli/main.ts'), 'logs', '--tail', '-n', '1', '-a', app], { env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    try {
      await eventually(async () => {
        await p.viaRouter(app, '/followed');
        assert.match(out, /paas\[router\]: at=info method=GET path="\/followed"/);
      }, 10_000);
      assert.equal(child.exitCode, null, 'still following');
    } finally {
      child.kill('SIGINT');
    }
  });

  test('apps:destroy removes containers, routes, repository and images', async () => {
    const refused = await paas(['apps:destroy', '-a', app], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    const gone = await paas(['apps:destroy', '-a', app, '--confirm', app], env);
    assert.equal(gone.code, 0, gone.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(app)).status, 404));
    const left = await p.docker.listContainers({ all: true, filters: { label: [`paastest.app=${app}`] } });
    assert.equal(left.length, 0);
    const tags = await fetch(`http://${p.config.registry}/v2/${app}/tags/list`, { headers: registryAuthHeaders(p.config.registryAuth) }).then((r) => r.json()) as { tags: string[] | null };
    assert.ok(!tags.tags || tags.tags.length === 0);
    const images = await p.docker.listImages({ filters: { reference: [`${p.config.registry}/${app}`] } });
    assert.deepEqual(images.map((i) => i.RepoTags), []);
  });
});
