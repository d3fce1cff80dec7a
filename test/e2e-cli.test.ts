// The CLI commands no other test runs, end to end as a user runs them: the real CLI process
// against a real platform (one small Procfile app pushed with git), checking what is printed,
// the --json shape, the exit status and one-line errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, paas, run, tempDir, userEnv, type Run } from './helpers/git.ts';

/** A failure as the CLI must show it: exit 1 and one line ` !    message`. */
function fails(r: Run, message: RegExp): void {
  assert.equal(r.code, 1, `expected a failure: ${r.stdout}`);
  assert.match(r.stderr, /^ ! {4}\S/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, message);
}

function ok(r: Run): string {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('CLI commands end to end', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const app = `clitest-${process.pid}`;
  const bob = `bob-${process.pid}@example.com`;
  /** The CLI in the app's checkout: the app comes from its `paas` git remote. */
  const inApp = (args: string[], e = env): Promise<Run> => paas(args, e, dir);

  before(async () => {
    p = await startTestPlatform();
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    ok(await paas(['login', '--api', p.controller.url, '--token', p.adminToken], env));
    ok(await paas(['apps:create', app], env));
    // The app's checkout, its `paas` remote set by git:remote, and a push through it: every
    // test below can run alone.
    dir = tempDir('paas-app-');
    await commitFiles(dir, { Procfile: 'web: python3 -m http.server $PORT\n', 'index.html': 'hi from the cli test\n' }, 'v1', env);
    assert.equal(ok(await inApp(['git:remote', '-a', app])), `set git remote paas to ${p.controller.url}/${app}.git\n`);
    const push = await run('git', ['push', 'paas', 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
  });
  after(async () => { await p.stop(); });

  test('auth:whoami, authorizations, authorizations:revoke, logout', async () => {
    const other = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    const [whoami, meJson, createdJson, noId] = await Promise.all([
      paas(['auth:whoami'], env), paas(['whoami', '--json'], env),
      paas(['authorizations:create', '--description', 'ci-token', '--json'], env), paas(['authorizations:revoke'], env),
      paas(['login', '--api', p.controller.url, '--token', p.adminToken], other),
    ]);
    assert.equal(ok(whoami), 'admin@paas.local\n');
    const me = JSON.parse(ok(meJson)) as { email: string; admin: boolean };
    assert.deepEqual([me.email, me.admin], ['admin@paas.local', true]);
    fails(noId, /Usage: paas authorizations:revoke ID/);

    const created = JSON.parse(ok(createdJson)) as { id: string; access_token: { token: string } };
    const withIt = { ...env, PAAS_API_KEY: created.access_token.token };
    const [list, json, asIt] = await Promise.all([paas(['authorizations'], env), paas(['authorizations', '--json'], env), paas(['auth:whoami'], withIt)]);
    assert.match(ok(list), new RegExp(`^${created.id}  ci-token  global  \\S+$`, 'm'));
    assert.ok((JSON.parse(ok(json)) as Array<{ id: string }>).some((t) => t.id === created.id));
    assert.ok(!json.stdout.includes(created.access_token.token), 'the list never shows a token');
    assert.equal(ok(asIt), 'admin@paas.local\n');
    assert.equal(ok(await paas(['authorizations:revoke', created.id], env)), `Revoked ${created.id}\n`);
    const [revoked, again] = await Promise.all([paas(['auth:whoami'], withIt), paas(['authorizations:revoke', created.id], env)]);
    fails(revoked, /Invalid credentials.*paas login/);
    fails(again, /./);

    // logout forgets the token of this HOME only.
    assert.equal(ok(await paas(['logout'], other)), 'Logged out\n');
    const [gone, still] = await Promise.all([paas(['auth:whoami'], other), paas(['auth:whoami'], env)]);
    fails(gone, /Not logged in/);
    assert.equal(ok(still), 'admin@paas.local\n');
  });

  test('users:create, users, users:revoke-tokens, users:destroy (admins only)', async () => {
    const made = ok(await paas(['users:create', bob], env));
    assert.match(made, new RegExp(`^Created ${bob}\\nToken: \\S+\\n$`));
    const token = /Token: (\S+)/.exec(made)?.[1] as string;
    const asBob = { ...env, PAAS_API_KEY: token };
    const [who, users, usersJson, bobUsers, bobCreates, twice, noEmail] = await Promise.all([
      paas(['auth:whoami'], asBob), paas(['users'], env), paas(['users', '--json'], env), paas(['users'], asBob),
      paas(['users:create', 'x@example.com'], asBob), paas(['users:create', bob], env), paas(['users:create'], env),
    ]);
    assert.equal(ok(who), `${bob}\n`);
    assert.match(ok(users), new RegExp(`^${bob.replace(/[.]/g, '\\.')}  \\S+$`, 'm'));
    assert.ok((JSON.parse(ok(usersJson)) as Array<{ email: string; admin: boolean }>).some((u) => u.email === bob && !u.admin));
    fails(bobUsers, /admin/i);
    fails(bobCreates, /admin/i);
    fails(twice, /already exists/);
    fails(noEmail, /Usage: paas users:create EMAIL/);

    assert.equal(ok(await paas(['users:revoke-tokens', bob], env)), `Revoked 1 token(s) of ${bob}\n`);
    fails(await paas(['auth:whoami'], asBob), /Invalid credentials/);
    assert.equal(ok(await paas(['users:destroy', bob], env)), `Deleted ${bob}\n`);
    assert.doesNotMatch(ok(await paas(['users'], env)), new RegExp(bob.replace(/[.]/g, '\\.')));
    fails(await paas(['users:destroy', bob], env), /./);
  });

  test('apps, apps:info and git:remote; commands in a checkout find the app from its remote', async () => {
    const fresh = `clitest-new-${process.pid}`;
    ok(await paas(['apps:create', fresh], env));
    const [list, listJson, infoText, infoJson, freshInfo, unknown, unnamed, noRepo, inCheckout] = await Promise.all([
      paas(['apps'], env), paas(['apps', '--json'], env), paas(['apps:info', '-a', app], env), paas(['apps:info', '-a', app, '--json'], env),
      paas(['apps:info', '-a', fresh], env), paas(['apps:info', '-a', 'no-such-app'], env), paas(['apps:info'], env),
      paas(['git:remote', '-a', app], env), inApp(['apps:info', '--json']),
    ]);
    assert.match(ok(list), new RegExp(`^=== Apps\\n(.+\\n)*${app}\\n`));
    const mine = (JSON.parse(ok(listJson)) as Array<{ name: string; git_url: string }>).find((x) => x.name === app);
    assert.equal(mine?.git_url, `${p.controller.url}/${app}.git`);
    const info = ok(infoText);
    assert.match(info, new RegExp(`^=== ${app}\\nGit URL: +${p.controller.url}/${app}\\.git\\nWeb URL: +http://${app}\\.`));
    assert.match(info, /Owner: +admin@paas\.local\n[\s\S]*Released: +20\d\d-\S+\nMaintenance: +off\n$/);
    assert.match(ok(freshInfo), /Released: +never\n/);
    const json = JSON.parse(ok(infoJson)) as { name: string; maintenance: boolean; owner: { email: string } };
    assert.deepEqual([json.name, json.maintenance, json.owner.email], [app, false, 'admin@paas.local']);
    fails(unknown, /Couldn't find that app/);
    fails(unnamed, /No app specified/);
    fails(noRepo, /Not inside a git repository/);
    assert.equal((JSON.parse(ok(inCheckout)) as { name: string }).name, app, 'the app from the paas remote set by git:remote');
    ok(await paas(['apps:destroy', fresh, '--confirm', fresh], env));
  });

  test('config, config:unset; releases:info; builds and builds:output', async () => {
    ok(await inApp(['config:set', 'GREETING=hello world', 'OTHER=1']));
    const [shown, shownJson, shell, noKey] = await Promise.all([inApp(['config']), inApp(['config', '--json']), inApp(['config', '--shell']), inApp(['config:unset'])]);
    assert.match(ok(shown), new RegExp(`^=== ${app} Config Vars\\nGREETING: hello world\\nOTHER: +1\\n$`));
    assert.deepEqual(JSON.parse(ok(shownJson)), { GREETING: 'hello world', OTHER: '1' });
    assert.equal(ok(shell), 'GREETING=hello world\nOTHER=1\n');
    fails(noKey, /Usage: paas config:unset KEY/);
    assert.equal(ok(await inApp(['config:unset', 'OTHER'])), `Unsetting OTHER and restarting ${app}... done\n`);
    assert.deepEqual(JSON.parse(ok(await inApp(['config', '--json']))), { GREETING: 'hello world' });

    const [currentRun, v1Run, v99, buildsRun, listRun, outputRun] = await Promise.all([
      inApp(['releases:info']), inApp(['releases:info', 'v1', '--json']), inApp(['releases:info', 'v99']),
      inApp(['builds']), inApp(['builds', '--json']), inApp(['builds:output']),
    ]);
    const current = ok(currentRun);
    assert.match(current, /^=== Release v3\nDescription: Remove OTHER config vars?\nStatus: +succeeded \(current\)\nBy: +admin@paas\.local\nWhen: +20\d\d-/);
    const v1 = JSON.parse(ok(v1Run)) as { version: number; status: string; current: boolean };
    assert.deepEqual([v1.version, v1.status, v1.current], [1, 'succeeded', false]);
    fails(v99, /./);

    const builds = ok(buildsRun);
    const line = new RegExp(`^=== ${app} Builds\\n([0-9a-f-]{36})  succeeded  [0-9a-f]{7}  20\\d\\d-`).exec(builds);
    assert.ok(line, builds);
    const list = JSON.parse(ok(listRun)) as Array<{ id: string; status: string }>;
    assert.deepEqual(list.map((b) => [b.id, b.status]), [[line[1], 'succeeded']]);
    const output = ok(outputRun);
    assert.match(output, /-----> .*Procfile/i);
    const [byId, noBuild] = await Promise.all([inApp(['builds:output', line[1]]), inApp(['builds:output', '00000000-0000-4000-8000-000000000000'])]);
    assert.equal(ok(byId), output);
    fails(noBuild, /./);
  });

  test('domains and maintenance show what is set', async () => {
    const [before, off, unknown] = await Promise.all([inApp(['domains']), inApp(['maintenance']), paas(['maintenance', '-a', 'no-such-app'], env)]);
    assert.match(ok(before), new RegExp(`^=== ${app} Domains\\n${app}\\.${p.config.domain.replace(/\./g, '\\.')}\\n$`));
    assert.equal(ok(off), 'off\n');
    fails(unknown, /Couldn't find that app/);
    await Promise.all([inApp(['domains:add', 'www.cli-test.example']).then(ok), inApp(['maintenance:on']).then(ok)]);
    const [after, afterJson, on] = await Promise.all([inApp(['domains']), inApp(['domains', '--json']), inApp(['maintenance'])]);
    assert.match(ok(after), new RegExp(`\\nwww\\.cli-test\\.example  \\(CNAME to ${app}\\.`));
    const json = JSON.parse(ok(afterJson)) as Array<{ hostname: string; kind: string }>;
    assert.deepEqual(json.map((d) => `${d.kind}:${d.hostname}`).sort(), [`custom:www.cli-test.example`, `heroku:${app}.${p.config.domain}`].sort());
    assert.equal(ok(on), 'on\n');
  });

  test('access, access:add, access:remove: a collaborator sees the app, then no longer', async () => {
    const carol = `carol-${process.pid}@example.com`;
    const token = (JSON.parse(ok(await paas(['users:create', carol, '--json'], env))) as { access_token: { token: string } }).access_token.token;
    const asCarol = { ...env, PAAS_API_KEY: token };
    const [hidden, nobody, noEmail] = await Promise.all([
      paas(['apps:info', '-a', app], asCarol), inApp(['access:add', 'nobody@example.com']), inApp(['access:remove']),
    ]);
    fails(hidden, /Couldn't find that app/);
    fails(nobody, /./);
    fails(noEmail, /Usage: paas access:remove EMAIL/);
    assert.equal(ok(await inApp(['access:add', carol])), `Adding ${carol} access to ${app}... done\n`);
    const [list, listJson, seen, notOwner] = await Promise.all([
      inApp(['access']), inApp(['access', '--json']), paas(['apps:info', '-a', app, '--json'], asCarol), paas(['access:add', 'x@example.com', '-a', app], asCarol),
    ]);
    assert.match(ok(list), new RegExp(`^${carol.replace(/[.]/g, '\\.')}  collaborator$`, 'm'));
    assert.ok((JSON.parse(ok(listJson)) as Array<{ user: { email: string }; role: string }>).some((c) => c.user.email === carol && c.role === 'collaborator'));
    assert.match(ok(seen), new RegExp(`"name": "${app}"`));
    fails(notOwner, /owner/i);
    assert.equal(ok(await inApp(['access:remove', carol])), `Removing ${carol} access from ${app}... done\n`);
    fails(await paas(['apps:info', '-a', app], asCarol), /Couldn't find that app/);
  });
});
