// End to end: the buildpack list from the CLI, a custom buildpack from a git repository, the
// build queue, builds:cancel of a queued and of a running build, builds:cache:purge.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildCacheDir } from '../common/build-cache.ts';
import { eventually } from './helpers/eventually.ts';
import { commitFiles, paas, run, tempDir, userEnv, type Run } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

// A buildpack as third parties write them for Heroku (no download): serves /app with python3.
const BUILDPACK: Record<string, string> = {
  'bin/detect': '#!/usr/bin/env bash\n[ -f "$1/site.conf" ] && echo "Tiny site" && exit 0\nexit 1\n',
  'bin/compile': [
    '#!/usr/bin/env bash',
    'set -e',
    'echo "-----> tiny site: $(cat "$1/site.conf")"',
    'echo "$(cat "$1/site.conf") via $(basename "$0")" > "$1/hello.txt"',
    'if [ -f "$1/SLOW" ]; then echo "       taking my time"; sleep 300; fi',
    '',
  ].join('\n'),
  'bin/release': '#!/usr/bin/env bash\nprintf -- "---\\ndefault_process_types:\\n  web: exec python3 -m http.server \\$PORT\\n"\n',
};

describe('buildpacks and build control from the CLI', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  let buildpackUrl = '';
  const slow = `slow-${process.pid}`;
  const quick = `quick-${process.pid}`;

  before(async () => {
    p = await startTestPlatform();
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    assert.equal((await paas(['login', '--api', p.controller.url, '--token', p.adminToken], env)).code, 0);
    const bp = tempDir('paas-bp-');
    for (const [name, text] of Object.entries(BUILDPACK)) {
      fs.mkdirSync(path.dirname(path.join(bp, name)), { recursive: true });
      fs.writeFileSync(path.join(bp, name), text, { mode: 0o755 });
    }
    await commitFiles(bp, {}, 'buildpack', env);
    buildpackUrl = `file://${bp}`;
    for (const name of [slow, quick]) assert.equal((await paas(['apps:create', name], env)).code, 0);
  });
  after(async () => { await p.stop(); });

  const push = async (app: string, files: Record<string, string>): Promise<Run> => {
    const dir = tempDir('paas-app-');
    await commitFiles(dir, files, 'deploy', env);
    return run('git', ['push', '--force', `${p.controller.url}/${app}.git`, 'master'], { cwd: dir, env });
  };

  test('buildpacks:add/set/remove/clear edit the list; a push builds with a custom git buildpack', async () => {
    const a = ['-a', quick];
    const none = await paas(['buildpacks', ...a], env);
    assert.equal(none.stdout, `${quick} has no Buildpack URL set.\n`);
    const added = await paas(['buildpacks:add', 'heroku/nodejs', ...a], env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`^Buildpack added\\. Next release on ${quick} will use heroku/nodejs\\.`));
    assert.equal((await paas(['buildpacks:add', buildpackUrl, '--index', '1', ...a], env)).code, 0);
    assert.equal((await paas(['buildpacks', ...a], env)).stdout, `=== ${quick} Buildpack URLs\n1. ${buildpackUrl}\n2. heroku/nodejs\n`);
    const dup = await paas(['buildpacks:add', 'heroku/nodejs', ...a], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already set/);
    const bad = await paas(['buildpacks:add', 'heroku/cobol', ...a], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"heroku\/cobol" is not available/);
    assert.equal((await paas(['buildpacks:set', 'heroku/static', '-i', '2', ...a], env)).code, 0);
    assert.equal((await paas(['buildpacks:remove', 'heroku/static', ...a], env)).code, 0);
    assert.equal((await paas(['buildpacks', ...a], env)).stdout, `=== ${quick} Buildpack URL\n${buildpackUrl}\n`);

    const ok = await push(quick, { 'site.conf': 'hello', 'package.json': '{}' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /remote: -----> Fetching buildpack file:\/\//);
    assert.match(ok.stderr, /remote: -----> Tiny site app detected/);
    await eventually(async () => assert.equal((await p.viaRouter(quick, '/hello.txt')).body, 'hello via compile\n'), 10_000);

    assert.match((await paas(['buildpacks:clear', ...a], env)).stdout, /^Buildpacks cleared\. Next release on .* will detect buildpacks normally\./);
    assert.deepEqual(JSON.parse((await paas(['buildpacks', ...a, '--json'], env)).stdout), []);
  });

  test('a queued build shows its position; builds:cancel drops it, or kills a running build', async () => {
    for (const app of [slow, quick]) assert.equal((await paas(['buildpacks:add', buildpackUrl, '-a', app], env)).code, 0);
    const slowPush = push(slow, { 'site.conf': 'slow', SLOW: '1' });
    // Running: its build container is up.
    await eventually(async () => {
      assert.match((await paas(['builds:queue', '-a', slow], env)).stdout, /building/);
      const running = await p.docker.listContainers({ filters: { label: [`${p.config.label}.app=${slow}`] } });
      assert.equal(running.length, 1);
    }, 60_000);
    const quickPush = push(quick, { 'site.conf': 'queued' });
    await eventually(async () => assert.match((await paas(['builds:queue', '-a', quick], env)).stdout, /queued, position 1/), 10_000);

    const cancelQueued = await paas(['builds:cancel', '-a', quick], env);
    assert.equal(cancelQueued.code, 0, cancelQueued.stderr);
    assert.match(cancelQueued.stdout, /^Stopping build \S+\.\.\. done/);
    const quickResult = await quickPush;
    assert.notEqual(quickResult.code, 0);
    assert.match(quickResult.stderr, /Build canceled/);

    const slowBuilds = await p.api<Array<{ id: string }>>('GET', `/apps/${slow}/builds`);
    const slowId = slowBuilds.body.at(-1)!.id;
    const cancelRunning = await paas(['builds:cancel', slowId, '-a', slow], env);
    assert.equal(cancelRunning.code, 0, cancelRunning.stderr);
    const slowResult = await slowPush;
    assert.notEqual(slowResult.code, 0);
    assert.match(slowResult.stderr, /remote: +! +Build canceled\./);
    const builds = await p.api<Array<{ status: string; failure_reason: string | null }>>('GET', `/apps/${slow}/builds`);
    assert.deepEqual(builds.body.map((b) => [b.status, b.failure_reason]), [['failed', 'Build canceled.']]);
    const left = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.build=${slowId}`] } });
    assert.deepEqual(left, []);
    assert.match((await paas(['builds:queue', '-a', slow], env)).stdout, /no unfinished builds/);
    const again = await paas(['builds:cancel', '-a', slow], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Can only cancel pending builds/);
  });

  test('builds:cache:purge asks for confirmation, then empties the build cache', async () => {
    const dir = buildCacheDir(p.config.dataDir, quick);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cached'), 'x');
    const refused = await paas(['builds:cache:purge', '-a', quick], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    const purged = await paas(['builds:cache:purge', '-a', quick, '--confirm', quick], env);
    assert.equal(purged.code, 0, purged.stderr);
    assert.equal(purged.stdout, `Purging build cache for ${quick}... done\n`);
    assert.equal(fs.existsSync(dir), false);
  });
});
