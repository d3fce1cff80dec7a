// paas run and run:detached end to end: a pushed Node.js app on real Docker, the real CLI as a
// separate process (through a pseudo-terminal for the interactive session), a real websocket.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, paas, run, tempDir, userEnv, type Run } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';
import { attachOutput, attachRefusal } from './helpers/attach-ws.ts';
import { killChildren, spawnCli } from './helpers/cli-child.ts';

describe('paas run: one-off dynos', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  const app = `runner-${process.pid}`;
  let a: string[];
  const ps = async (): Promise<Array<{ name: string; state: string; command: string; size: string }>> => {
    const r = await paas(['ps', ...a, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Array<{ name: string; state: string; command: string; size: string }>;
  };
  const logs = async (dyno: string): Promise<string> => (await paas(['logs', ...a, '--dyno', dyno, '-n', '200'], env)).stdout;

  before(async () => {
    p = await startTestPlatform();
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    a = ['-a', app];
    assert.equal((await paas(['login', '--api', p.controller.url, '--token', p.adminToken], env)).code, 0); // ~/.netrc for git too
    assert.equal((await paas(['apps:create', app], env)).code, 0);
    const dir = tempDir('paas-app-');
    await commitFiles(dir, {
      'package.json': JSON.stringify({ name: 'runner', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'server.js': "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n",
    }, 'v1', env);
    const push = await run('git', ['push', `${p.controller.url}/${app}.git`, 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await paas(['config:set', 'GREETING=from-v2', ...a], env)).code, 0); // release v2: runs get its config
  });
  afterEach(killChildren);
  after(async () => { await p.stop(); });

  test('the command line is run by bash after .profile.d: &&, $VARS, quotes, several words, --env, --size, exit status', async () => {
    const [chain, vars, words, flags] = await Promise.all([
      paas(['run', ...a, 'echo a && echo b'], env),
      paas(['run', ...a, 'echo $PORT $DYNO $GREETING'], env),
      // NODE_ENV=production comes from the buildpack's .profile.d script.
      paas(['run', ...a, '--', 'node', '-e', `console.log("it's", process.env.NODE_ENV); process.exit(7)`], env),
      paas(['run', 'echo $A-$B; id -u; cat /sys/fs/cgroup/memory/memory.limit_in_bytes', ...a, '--env', 'A=1;B=x y', '--size', 'standard-2X'], env),
    ]);
    assert.equal(chain.code, 0, chain.stderr);
    assert.equal(chain.stdout, 'a\nb\n');
    assert.match(chain.stderr, new RegExp(`Running echo a && echo b on ⬢ ${app}\\.\\.\\. up, run\\.\\d+ \\(standard-1X\\)`));
    assert.match(vars.stdout, /^5000 run\.\d+ from-v2\n$/);
    const names = [chain, vars, words, flags].map((r) => /up, (run\.\d+)/.exec(r.stderr)?.[1]);
    assert.equal(new Set(names).size, 4, `four runs at once get four names: ${names.join(' ')}`);
    assert.equal(words.code, 7, words.stderr);
    assert.equal(words.stdout, "it's production\n");
    assert.equal(flags.code, 0, flags.stderr);
    assert.equal(flags.stdout, `1-x y\n1000\n${2 * p.config.dynoMemoryMb * 1024 * 1024}\n`);
    const bad = await paas(['run', ...a, '--size', 'huge-9X', 'true'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ ! +Dyno size "huge-9X" is unknown/);
    assert.equal((await ps()).filter((d) => d.name.startsWith('run.')).length, 0, 'attached runs are removed when they end');
  });

  test('stdin is piped to the dyno; stdout and stderr come back apart', async () => {
    const cli = spawnCli(['run', ...a, 'node'], env);
    cli.child.stdin?.end('console.log(1+1); console.error("to stderr")\n');
    assert.equal(await cli.exit(), 0, cli.out.stderr);
    assert.equal(cli.out.stdout, '2\n');
    assert.match(cli.out.stderr, /to stderr/);
    const many = await paas(['run', ...a, 'seq 1 300000'], env); // ~2 MB through the socket's flow control
    assert.equal(many.code, 0, many.stderr);
    assert.equal(many.stdout.split('\n').length, 300001);
    assert.ok(many.stdout.endsWith('\n299999\n300000\n'));
    const detachedFlag = await paas(['run', '--detached', ...a, 'true'], env);
    assert.match(detachedFlag.stdout, /up, run\.\d+/, 'run --detached as run:detached');
  });

  test('an interactive bash on a TTY: size and resize, typed commands, Ctrl-C, Ctrl-D and the exit status; the terminal is restored', async () => {
    const cli = spawnCli(['run', ...a, 'bash'], { ...env, TERM: 'xterm' }, { cols: 100, rows: 30, cols2: 120, rows2: 40 });
    const type = (keys: string): void => { cli.child.stdin?.write(keys); };
    await cli.expect(/up, run\.\d+/);
    type('stty size; tty\r');
    await cli.expect(/30 100\r+\n\/dev\/pts\/\d+/);
    type('echo hi-$((6*7))\r');
    await cli.expect(/hi-42/);
    let mark = cli.out.stdout.length;
    type('sleep 120; echo slept\r');
    await cli.expect(/sleep 120; echo slept\r+\n/, mark); // echoed back by the dyno's terminal
    await new Promise((r) => setTimeout(r, 300));
    type('\x03'); // Ctrl-C: SIGINT to the foreground sleep, not to the CLI
    type('echo status-$?\r');
    await cli.expect(/status-130/, mark);
    assert.doesNotMatch(cli.out.stdout.slice(mark), /(^|\n)slept\r/, 'the sleep was interrupted, the rest of its line not run');
    cli.child.kill('SIGUSR1'); // the harness resizes its terminal: SIGWINCH to the CLI
    mark = cli.out.stdout.length;
    await eventually(async () => {
      type('stty size\r');
      await cli.expect(/40 120/, mark, 1000);
    }, 10_000);
    // Ctrl-D only at the prompt, as a user types it: typed while a command runs, the dyno's
    // terminal is in canonical mode and the kernel drops the EOF once readline goes raw again.
    type("PS1='ready-$((5+5))> '\r"); // shown as "ready-10> ": never the echo of what was typed
    mark = cli.out.stdout.length;
    type('(exit 3)\r');
    await cli.expect(/\(exit 3\)\r+\n[\s\S]*ready-10> $/, mark);
    type('\x04'); // Ctrl-D: bash ends with the last status
    assert.equal(await cli.exit(), 3, cli.out.stdout + cli.out.stderr);
    assert.match(cli.out.stdout, /\[pty: canonical echo on\]/);
  });

  test('run:detached prints the dyno; ps lists it, logs --dyno has its output, ps:stop ends it, the time limit too; all are removed', async () => {
    const [long, quick, tailed] = await Promise.all([
      paas(['run:detached', ...a, 'echo started-$DYNO; sleep 300'], env),
      paas(['run:detached', ...a, 'echo quick-done'], env),
      paas(['run:detached', '--tail', ...a, 'echo tailed; exit 2'], env),
    ]);
    // --tail follows the run's lines until it completes.
    assert.equal(tailed.code, 0, tailed.stderr);
    assert.match(tailed.stdout, /app\[run\.\d+\]: tailed\n[\s\S]*Process exited with status 2\n[\s\S]*State changed from up to complete/);
    assert.equal(long.code, 0, long.stderr);
    const name = /up, (run\.\d+)/.exec(long.stdout)?.[1] as string;
    const quickName = /up, (run\.\d+)/.exec(quick.stdout)?.[1] as string;
    assert.ok(name && quickName, long.stdout + quick.stdout);
    assert.match(long.stdout, new RegExp(`paas logs -a ${app} --dyno ${name.replace('.', '\\.')}`));
    const limited = await p.api<{ name: string }>('POST', `/apps/${app}/dynos`, { command: 'sleep 300', time_to_live: 2 });
    assert.equal(limited.status, 201);

    const listed = (await ps()).find((d) => d.name === name);
    assert.equal(listed?.command, 'echo started-$DYNO; sleep 300');
    assert.equal(listed?.size, 'standard-1X');
    const human = await paas(['ps', ...a], env);
    assert.match(human.stdout, new RegExp(`=== run: one-off processes[\\s\\S]*${name.replace('.', '\\.')} \\(standard-1X\\): (up|starting) .*: echo started-\\$DYNO; sleep 300`));
    await eventually(async () => assert.match(await logs(name), new RegExp(`app\\[${name.replace('.', '\\.')}\\]: started-${name.replace('.', '\\.')}`)), 15_000);
    await eventually(async () => {
      const out = await logs(quickName);
      assert.match(out, /app\[run\.\d+\]: quick-done/);
      assert.match(out, /paas\[run\.\d+\]: State changed from up to complete/);
    }, 15_000);

    const stop = await paas(['ps:stop', name, ...a], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`Stopping ${name.replace('.', '\\.')} dyno`));
    await eventually(async () => {
      const names = (await ps()).map((d) => d.name);
      assert.deepEqual(names.filter((n) => n.startsWith('run.')), [], 'stopped, ended and timed-out runs are all removed');
    }, 30_000);
    assert.match(await logs(name), /Process exited with status \d+/);
    assert.match(await logs(limited.body.name), /Stopping process: time limit reached/);
    const containers = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.app=${app}`, `${p.config.label}.type=run`] } });
    assert.equal(containers.length, 0);
    const missing = await paas(['ps:stop', 'run.99', ...a], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No dyno run\.99/);
  });

  test('a dropped client connection kills the attached run within seconds', async () => {
    const cli = spawnCli(['run', ...a, '--no-tty', 'sleep 300'], env);
    await eventually(async () => assert.match(cli.out.stderr, /up, run\.\d+/), 15_000);
    const name = /up, (run\.\d+)/.exec(cli.out.stderr)?.[1];
    await eventually(async () => assert.equal((await ps()).find((d) => d.name === name)?.state, 'up'), 10_000);
    cli.child.kill('SIGKILL');
    await cli.exit();
    await eventually(async () => assert.equal((await ps()).find((d) => d.name === name), undefined), 15_000);
    assert.match(await logs(name as string), /Client disconnected/);
  });

  test("a stranger's token can neither run nor attach to another app's run; a run starts only once its creator attached", async () => {
    const created = await p.api<{ access_token: { token: string } }>('POST', '/users', { email: `stranger-${process.pid}@example.com` });
    assert.equal(created.status, 201);
    const strangerToken = created.body.access_token.token;
    const stranger = { ...env, PAAS_API_KEY: strangerToken };
    const denied: Run = await paas(['run', ...a, 'echo pwned'], stranger);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Couldn't find that app/);

    const pending = await p.api<{ name: string; attach_url: string }>('POST', `/apps/${app}/dynos`, { command: 'echo attached-$DYNO', attach: true, force_no_tty: true });
    assert.equal(pending.status, 201);
    const tryAttach = (token: string | null) => attachRefusal(pending.body.attach_url, token);
    assert.equal(await tryAttach(strangerToken), 404);
    assert.equal(await tryAttach(null), 401);
    assert.equal(await tryAttach('not-a-token'), 401);
    const wrongSecret = pending.body.attach_url.replace(/[^/]+$/, 'x'.repeat(32));
    assert.equal(await attachRefusal(wrongSecret, p.adminToken), 404);
    // Nothing ran: the dyno is created, never started.
    const [c] = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.app=${app}`, `${p.config.label}.dyno=${pending.body.name}`] } });
    assert.equal(c?.State, 'created');
    assert.equal((await paas(['ps:stop', pending.body.name, ...a], stranger)).code, 1);

    // Its creator attaches: it runs, and the exit status comes back.
    const output = await attachOutput(pending.body.attach_url, p.adminToken);
    assert.deepEqual(output, { text: `attached-${pending.body.name}\n`, exit: 0 });
  });
});
