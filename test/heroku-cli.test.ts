// The official Heroku CLI (npm `heroku`, pinned in helpers/heroku-cli.ts), unmodified, against a
// live platform through HEROKU_HOST and HEROKU_API_KEY: each everyday command's output as a user
// sees it, and the state it leaves. Independent commands run concurrently (the CLI starts slowly).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, run, tempDir, type Run } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';
import { ensureHerokuCli, heroku, herokuEnv } from './helpers/heroku-cli.ts';
import { apiCertificateFile } from '../controller/rendezvous/api-certificate.ts';
import { makeCertificate } from '../common/x509.ts';

describe('the Heroku CLI against paas', () => {
  let p: TestPlatform;
  let cli: string;
  let env: NodeJS.ProcessEnv;
  let email: string;
  /** Where commands run: not a git checkout (apps:create and apps:rename edit the cwd's git remotes). */
  let cwd: string;
  const app = `hk-${process.pid}`;
  const a = ['-a', app];
  /** A command's stdout and stderr together (Heroku's progress lines go to stderr). */
  const h = async (...args: string[]): Promise<Run & { out: string }> => {
    const r = await heroku(cli, args, env, cwd);
    return { ...r, out: r.stdout + r.stderr };
  };
  const ok = (r: Run & { out: string }, what: string): string => { assert.equal(r.code, 0, `${what}: ${r.out}`); return r.out; };
  /** A command that cannot work: exit status, one message line, no stack trace, no "No route". */
  const refused = (r: Run & { out: string }, re: RegExp): void => {
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.out, /No route for|\n\s+at .+:\d+:\d+|TypeError/);
  };
  /** A command given `input` on a piped stdin (closed after it). */
  const hInput = (input: string, ...args: string[]): Promise<Run & { out: string }> => new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, cwd });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, out: stdout + stderr }));
    child.stdin.end(input);
  });
  /** The host:port of the API's HTTPS listener: where `heroku git:remote` points (HEROKU_GIT_HOST). */
  let gitHost: string;

  before(async () => {
    [cli, p] = await Promise.all([ensureHerokuCli(console.log), startTestPlatform({ apiTlsPort: 0 })]);
    gitHost = `127.0.0.1:${p.controller.tlsPort}`;
    // `heroku` on PATH: git runs it as its credential helper (`!heroku git:credentials`).
    const bin = tempDir('heroku-bin-');
    fs.writeFileSync(path.join(bin, 'heroku'), `#!/bin/sh\nexec '${process.execPath}' '${cli}' "$@"\n`, { mode: 0o755 });
    // The platform's self-signed certificate, trusted by the CLI (rendezvous) and git (https remote).
    const ca = apiCertificateFile(p.config);
    env = herokuEnv(tempDir('heroku-home-'), p.controller.url, p.adminToken, {
      PATH: `${bin}:${process.env.PATH ?? ''}`, HEROKU_GIT_HOST: gitHost, NODE_EXTRA_CA_CERTS: ca, GIT_SSL_CAINFO: ca,
    });
    cwd = tempDir('heroku-cwd-');
    email = (await p.api<{ email: string }>('GET', '/account')).body.email;
    const created = await h('apps:create', app);
    assert.match(ok(created, 'apps:create'), new RegExp(`Creating ${app}\\.\\.\\. done`));
    // A tiny Dockerfile app: a web process and a worker that logs a line a second.
    const dir = tempDir('heroku-app-');
    await commitFiles(dir, {
      'Dockerfile': 'FROM paas/busybox:test\nCOPY www /www\nCMD ["sh", "-c", "exec httpd -f -p $PORT -h /www"]\n',
      'Procfile': 'web: exec httpd -f -p $PORT -h /www\nworker: i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done\n',
      'www/index.html': 'hello\n',
    }, 'v1', env);
    // git:remote's https remote, and git push through it with the CLI as credential helper.
    assert.match(ok(await heroku(cli, ['git:remote', ...a], env, dir).then((r) => ({ ...r, out: r.stdout + r.stderr })), 'git:remote'),
      new RegExp(`set git remote heroku to https://${gitHost}/${app}\\.git`));
    const push = await run('git', ['push', 'heroku', 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
  });
  after(async () => { await p?.stop(); });

  test('apps and apps:info show the app, its URLs, owner, dynos and stack', async () => {
    const [apps, json, info] = await Promise.all([h('apps'), h('apps', '--json'), h('apps:info', ...a)]);
    assert.match(ok(apps, 'apps'), new RegExp(`=== ${email} Apps\\n\\n${app} \\(local\\)`));
    assert.deepEqual((JSON.parse(json.stdout) as Array<{ name: string }>).map((x) => x.name), [app]);
    const text = ok(info, 'apps:info');
    assert.match(text, new RegExp(`=== ${app}`));
    assert.match(text, new RegExp(`Web URL: +http://${app}\\.localhost:${p.routerPort}/`));
    assert.match(text, new RegExp(`Git URL: +${p.controller.url}/${app}\\.git`));
    assert.match(text, new RegExp(`Owner: +${email}`));
    assert.match(text, /Dynos: +web: 1/);
    assert.match(text, /Stack: +paas\/stack:1\n/);
  });

  test('config:set and config:unset print the release they made; config and config:get read it', async () => {
    const set = await h('config:set', 'FOO=bar', 'GREETING=hi there', ...a);
    assert.match(ok(set, 'config:set'), /Setting FOO, GREETING and restarting .*\.\.\. done, v2/);
    assert.match(set.stdout, /^FOO: +bar\nGREETING: +hi there\n$/);
    const [get, json] = await Promise.all([h('config:get', 'FOO', ...a), h('config', '--json', ...a)]);
    assert.equal(ok(get, 'config:get').trim().split('\n').pop(), 'bar');
    assert.deepEqual(JSON.parse(json.stdout), { FOO: 'bar', GREETING: 'hi there' });
    assert.match(ok(await h('config:unset', 'GREETING', ...a), 'config:unset'), /Unsetting GREETING and restarting .*\.\.\. done, v3/);
    assert.deepEqual((await p.api('GET', `/apps/${app}/config-vars`)).body, { FOO: 'bar' });
  });

  test('releases newest first (-n through Range), releases:info, and rollback to the previous eligible release', async () => {
    const [list, one, info] = await Promise.all([h('releases', ...a), h('releases', '-n', '1', '--json', ...a), h('releases:info', 'v2', ...a)]);
    const text = ok(list, 'releases');
    assert.match(text, new RegExp(`=== ${app} Releases - Current: v3`));
    assert.deepEqual([...text.matchAll(/^ +(v\d+) /gm)].map((m) => m[1]), ['v3', 'v2', 'v1']);
    assert.deepEqual((JSON.parse(one.stdout) as Array<{ version: number }>).map((r) => r.version), [3]);
    assert.match(ok(info, 'releases:info'), /=== Release v2[\s\S]*Eligible for Rollback\?: Yes[\s\S]*=== v2 Config vars\n\nFOO: +bar\nGREETING: +hi there/);
    assert.match(ok(await h('rollback', ...a), 'rollback'), /Rolling back .* to v2\.\.\. done, v4[\s\S]*To undo, run: heroku rollback v3/);
    assert.deepEqual((await p.api('GET', `/apps/${app}/config-vars`)).body, { FOO: 'bar', GREETING: 'hi there' });
    assert.match((await p.api<{ description: string }>('GET', `/apps/${app}/releases/4`)).body.description, /v2/);
  });

  test('ps:scale takes quantities as Heroku does (2, +1, -1); ps, ps:restart and ps:stop act on dynos', async () => {
    // (Workers only: web dynos wait for their health check.)
    assert.match(ok(await h('ps:scale', 'worker=3', ...a), 'ps:scale'), /done, now running worker at 3:standard/);
    const [relative, unknown] = await Promise.all([h('ps:scale', 'worker-2', 'web+0', ...a), h('ps:scale', 'nope=1', ...a)]);
    assert.match(ok(relative, 'ps:scale relative'), /now running web at 1:standard, worker at 1:standard/);
    refused(unknown, /Couldn't find that process type \(nope\)/);
    const formation = (await p.api<Array<{ type: string; quantity: number }>>('GET', `/apps/${app}/formation`)).body;
    assert.deepEqual(Object.fromEntries(formation.map((f) => [f.type, f.quantity])), { web: 1, worker: 1 });
    const ps = ok(await h('ps', ...a), 'ps');
    assert.match(ps, /=== web \(standard\): exec httpd -f -p \$PORT -h \/www \(1\)\n\nweb\.1: up /);
    assert.match(ps, /=== worker \(standard\): .*\(1\)\n\nworker\.1: up /);
    const [restartType, stopOne, stopType, restartAll, stopUnknown] = await Promise.all([
      h('ps:restart', '--process-type', 'worker', ...a), h('ps:stop', '--dyno-name', 'worker.1', ...a), h('ps:stop', '--process-type', 'worker', ...a),
      h('ps:restart', ...a), h('ps:stop', '--process-type', 'nope', ...a),
    ]);
    assert.match(ok(restartType, 'ps:restart --process-type'), /Restarting all worker dynos on .*\.\.\. done/);
    assert.match(ok(stopOne, 'ps:stop --dyno-name'), /Stopping dyno worker\.1 on .*\.\.\. done/);
    assert.match(ok(stopType, 'ps:stop --process-type'), /Stopping all worker dynos on .*\.\.\. done/);
    assert.match(ok(restartAll, 'ps:restart'), /Restarting all dynos on .*\.\.\. done/);
    refused(stopUnknown, /Couldn't find that process type \(nope\)/);
  });

  test('logs: history (-n, --dyno, --source) and --tail through a log session', async () => {
    await p.viaRouter(app, '/from-the-test');
    const [worker, router] = await eventually(async () => {
      const [w, r] = await Promise.all([h('logs', '-n', '3', '--dyno', 'worker', ...a), h('logs', '--source', 'heroku', '--dyno', 'router', ...a)]);
      assert.equal(ok(w, 'logs --dyno').trim().split('\n').length, 3, w.out);
      assert.match(r.stdout, /paas\[router\]: at=info method=GET path="\/from-the-test"/, r.out);
      return [w.stdout, r.stdout];
    }, 30_000);
    for (const line of worker.trim().split('\n')) assert.match(line, /^\S+Z app\[worker\.1\]: tick \d+$/);
    assert.doesNotMatch(router, /app\[/);

    // --tail: lines keep coming after the history.
    const child = spawn(process.execPath, [cli, 'logs', '--tail', '-n', '1', '--dyno', 'worker', ...a], { env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    try {
      await eventually(async () => assert.ok(out.trim().split('\n').filter((l) => /tick \d+/.test(l)).length >= 3, out), 30_000);
    } finally { child.kill(); }
    const ticks = [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(ticks.every((t, i) => i === 0 || t === ticks[i - 1] + 1), `in order, none lost: ${ticks.join(',')}`);
  });

  test('run attaches through the rendezvous (output, --exit-code, piped stdin); run:detached output is in the log', async () => {
    const [detached, echo, failing, exit3, piped] = await Promise.all([
      h('run:detached', 'echo from-a-one-off', ...a),
      h('run', ...a, '--', 'echo', 'hello'),
      h('run', '--exit-code', ...a, '--', 'false'),
      h('run', '-x', ...a, '--', 'exit 3'),
      hInput('piped line one\npiped line two\n', 'run', '--no-tty', '-x', ...a, '--', 'tr a-z A-Z'),
    ]);
    ok(echo, 'run echo');
    assert.equal(echo.stdout, 'hello\n');
    assert.match(echo.stderr, /Running echo hello on .*\.\.\. up, run\.\d+/);
    assert.equal(failing.code, 1, failing.out);
    assert.match(failing.stderr, /Process exited with code 1/);
    assert.equal(exit3.code, 3, exit3.out);
    ok(piped, 'run with piped stdin');
    assert.equal(piped.stdout, 'PIPED LINE ONE\nPIPED LINE TWO\n');
    const name = /done, (run\.\d+)/.exec(ok(detached, 'run:detached'))?.[1];
    assert.ok(name, detached.out);
    await eventually(async () => assert.match((await h('logs', '--dyno', name, ...a)).stdout, new RegExp(`app\\[${name.replace('.', '\\.')}\\]: from-a-one-off`)), 30_000);
  });

  test('run sh on a terminal: an interactive shell on the dyno\'s TTY, Ctrl-C interrupts its command, exit ends the run', async () => {
    // `script` gives the CLI a pseudo-terminal: it puts it in raw mode and sends keys as they come.
    const child = spawn('script', ['-qefc', `'${process.execPath}' '${cli}' run -x -a ${app} -- sh`, '/dev/null'], { env, cwd });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const type = async (keys: string, until: RegExp): Promise<void> => {
      const from = out.length;
      child.stdin.write(keys);
      await eventually(async () => assert.match(out.slice(from), until), 30_000);
    };
    try {
      await eventually(async () => assert.match(out, /up, run\.\d+/), 30_000);
      await type('test -t 0 && echo "tty:$((6*7))"\r', /tty:42/);
      await type('sleep 60\r', /sleep 60/);
      await type('\u0003', /\^C/); // SIGINT to the foreground command, not to the shell
      await type('echo "status:$?"\r', /status:130/);
      child.stdin.write('exit 5\r');
      assert.equal(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still running'), 20_000))]), 5, out);
    } finally { child.kill(); }
  });

  test('domains, certs, maintenance, access, authorizations and git:remote', async () => {
    const other = 'collab@example.com';
    assert.equal((await p.api('POST', '/users', { email: other })).status, 201);
    const gitDir = tempDir('heroku-remote-');
    await run('git', ['init', '-q', gitDir], { env });
    const [added, maint, access, auth, certs] = await Promise.all([
      h('domains:add', 'www.example.test', ...a), h('maintenance:on', ...a), h('access:add', other, ...a),
      h('authorizations:create', '-d', 'ci token'), h('certs', ...a),
    ]);
    assert.match(ok(added, 'domains:add'), /Adding www\.example\.test to .*\.\.\. done/);
    assert.match(added.stdout, new RegExp(`^Configure your app's DNS provider to point to the DNS Target ${app}\\.localhost`));
    assert.match(ok(maint, 'maintenance:on'), /Enabling maintenance mode for .*\.\.\. done/);
    assert.match(ok(access, 'access:add'), new RegExp(`Adding ${other} access to the app .*\\.\\.\\. done`));
    const authId = /ID: +(\S+)/.exec(ok(auth, 'authorizations:create'))?.[1];
    assert.match(auth.stdout, /Token: +paas_\S+/);
    assert.match(ok(certs, 'certs'), /has no SSL certificates/);
    assert.equal((await p.api<{ maintenance: boolean }>('GET', `/apps/${app}`)).body.maintenance, true);

    const [domains, status, collaborators, auths, authInfo, remote] = await Promise.all([
      h('domains', ...a), h('maintenance', ...a), h('access', ...a), h('authorizations'), h('authorizations:info', authId!), heroku(cli, ['git:remote', ...a], env, gitDir),
    ]);
    assert.match(ok(authInfo, 'authorizations:info'), new RegExp(`ID: +${authId}\\n[\\s\\S]*Description: +ci token`));
    assert.match(ok(domains, 'domains'), new RegExp(`=== ${app} Heroku Domain\\n\\n${app}\\.localhost\\n[\\s\\S]*www\\.example\\.test +CNAME +${app}\\.localhost`));
    assert.equal(ok(status, 'maintenance').trim().split('\n').pop(), 'on');
    assert.match(ok(collaborators, 'access'), new RegExp(`${other} +collaborator`));
    assert.match(collaborators.stdout, new RegExp(`${email} +owner`));
    assert.match(ok(auths, 'authorizations'), new RegExp(`ci token +${authId} +global`));
    assert.equal(remote.code, 0, remote.stderr);
    // The CLI writes an https:// remote on HEROKU_GIT_HOST (the API's HTTPS listener, docs/heroku-cli.md).
    assert.equal((await run('git', ['remote', 'get-url', 'heroku'], { cwd: gitDir, env })).stdout.trim(), `https://${gitHost}/${app}.git`);

    const [removed, off, revoked, gone] = await Promise.all([
      h('domains:remove', 'www.example.test', ...a), h('maintenance:off', ...a), h('authorizations:revoke', authId!), h('access:remove', other, ...a),
    ]);
    for (const [r, what] of [[removed, 'domains:remove'], [off, 'maintenance:off'], [revoked, 'authorizations:revoke'], [gone, 'access:remove']] as const) ok(r, what);
    assert.deepEqual((await p.api<Array<{ hostname: string }>>('GET', `/apps/${app}/domains`)).body.map((d) => d.hostname), [`${app}.localhost`]);
    assert.equal((await p.api<{ maintenance: boolean }>('GET', `/apps/${app}`)).body.maintenance, false);
    assert.deepEqual((await p.api<Array<{ user: { email: string }; role: string }>>('GET', `/apps/${app}/collaborators`)).body.map((c) => `${c.user.email} ${c.role}`), [`${email} owner`]);
  });

  test('certs:add uploads a certificate; certs, certs:info and certs:remove find it by its name', async () => {
    const pair = await makeCertificate({ hosts: ['secure.example.test'] });
    const dir = tempDir('heroku-certs-');
    fs.writeFileSync(path.join(dir, 'c.crt'), pair.cert);
    fs.writeFileSync(path.join(dir, 'c.key'), pair.key);
    const added = await h('certs:add', path.join(dir, 'c.crt'), path.join(dir, 'c.key'), ...a);
    assert.match(ok(added, 'certs:add'), /Adding SSL certificate to .*\.\.\. done/);
    assert.match(added.stdout, /Common Name\(s\): +secure\.example\.test[\s\S]*SSL certificate is self signed/);
    const name = (await p.api<Array<{ name: string }>>('GET', `/apps/${app}/sni-endpoints`)).body[0]?.name;
    const [list, info] = await Promise.all([h('certs', ...a), h('certs:info', ...a)]);
    assert.match(ok(list, 'certs'), new RegExp(`${name} +secure\\.example\\.test`));
    assert.match(ok(info, 'certs:info'), new RegExp(`Fetching SSL certificate ${name} info`));
    assert.match(info.stdout, /Common Name\(s\): +secure\.example\.test/);
    assert.match(ok(await h('certs:remove', '--confirm', app, ...a), 'certs:remove'), new RegExp(`Removing SSL certificate ${name} from .*\\.\\.\\. done`));
    assert.deepEqual((await p.api('GET', `/apps/${app}/sni-endpoints`)).body, []);
  });

  test('addons:plans, addons:create, addons, addons:info and addons:destroy', async () => {
    assert.match(ok(await h('addons:plans', 'heroku-redis'), 'addons:plans'), /default +heroku-redis:\S+ +Heroku Data for Redis +free +free/);
    const created = await h('addons:create', 'heroku-redis', ...a);
    const name = /Created (\S+) as REDIS_URL/.exec(ok(created, 'addons:create'))?.[1];
    assert.ok(name, created.out);
    const [list, info] = await Promise.all([h('addons', ...a), h('addons:info', 'REDIS', ...a)]);
    assert.match(ok(list, 'addons'), new RegExp(`heroku-redis \\(${name}\\) +\\S+ +free +free[\\s\\S]*as REDIS`));
    assert.match(ok(info, 'addons:info'), new RegExp(`=== ${name}\\n[\\s\\S]*Attachments: +${app}::REDIS`));
    assert.match(ok(await h('addons:destroy', 'REDIS', '--confirm', app, ...a), 'addons:destroy'), new RegExp(`Destroying ${name} on ${app}\\.\\.\\. done`));
    assert.deepEqual((await p.api('GET', `/apps/${app}/addons`)).body, []);
  });

  test('drains:add, drains and drains:remove (a syslog URL with nothing behind it: the shipper retries in the background)', async () => {
    const url = 'syslog+tls://127.0.0.1:6514';
    assert.match(ok(await h('drains:add', url, ...a), 'drains:add'), /Successfully added drain syslog\+tls:\/\/127\.0\.0\.1:6514/);
    assert.match(ok(await h('drains', ...a), 'drains'), /=== Drains\n+syslog\+tls:\/\/127\.0\.0\.1:6514 \(d\.[0-9a-f-]{36}\)/);
    assert.match(ok(await h('drains:remove', url, ...a), 'drains:remove'), /Successfully removed drain syslog\+tls:\/\/127\.0\.0\.1:6514/);
    refused(await h('drains:add', 'ftp://example.com/', ...a), /ftp:\/\/ drains are not supported/);
  });

  test('features Heroku has and this platform lacks fail with one clear line', async () => {
    const [pipelines, keys, features] = await Promise.all([h('pipelines'), h('keys'), h('features', ...a)]);
    refused(pipelines, /This platform does not have pipelines/);
    refused(keys, /This platform does not have SSH keys/);
    refused(features, /This platform does not have Heroku Labs features/);
  });

  test('apps:rename and apps:destroy', async () => {
    const renamed = `${app}-b`;
    const rename = await h('apps:rename', renamed, ...a);
    assert.match(ok(rename, 'apps:rename'), new RegExp(`Renaming ${app} to ${renamed}\\.\\.\\. done`));
    assert.match(rename.stdout, new RegExp(`^http://${renamed}\\.localhost:${p.routerPort}/ \\| `));
    await eventually(async () => assert.equal((await p.viaRouter(renamed)).body, 'hello\n'));
    assert.match(ok(await h('apps:destroy', renamed, '--confirm', renamed), 'apps:destroy'), new RegExp(`Destroying ${renamed} .*\\.\\.\\. done`));
    assert.equal((await p.api('GET', `/apps/${renamed}`)).status, 404);
    assert.match(ok(await h('apps'), 'apps'), /You have no apps\./);
  });
});
