// apps:rename end to end on real Docker: a pushed app renamed from the CLI serves under its new
// hostname (custom domains too), the old hostname is gone, no container keeps the old name, the
// git remote follows, and the releases from before the rename still roll back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet, startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, run, tempDir, userEnv, type Run } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';
import { registryAuthHeaders } from '../common/registry-auth.ts';

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const server = (version: string): string =>
  `require('http').createServer((req, res) => res.end(${JSON.stringify(version)})).listen(process.env.PORT);\n`;

describe('apps:rename on a running app', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir('paas-rename-');
  const oldName = `rename-${process.pid}`;
  const newName = `renamed-${process.pid}`;
  const custom = `www.rename-${process.pid}.example.test`;

  /** The CLI, run inside the app's checkout (it finds the app through the `paas` remote). */
  const paas = (args: string[]): Promise<Run> =>
    run(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { cwd: dir, env });
  const containersOf = async (app: string): Promise<string[]> =>
    (await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.app=${app}`] } }))
      .map((c) => `${c.Labels[`${p.config.label}.dyno`]}@v${c.Labels[`${p.config.label}.release`]}`).sort();
  const tagsOf = async (repo: string): Promise<string[]> => {
    const res = await fetch(`http://${p.config.registry}/v2/${repo}/tags/list`, { headers: registryAuthHeaders(p.config.registryAuth) });
    return res.ok ? (((await res.json()) as { tags: string[] | null }).tags ?? []).sort() : [];
  };

  before(async () => {
    p = await startTestPlatform();
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    await commitFiles(dir, { 'package.json': JSON.stringify({ name: 'r', version: '1.0.0' }), 'Procfile': 'web: node server.js\n', 'server.js': server('v1') }, 'v1', env);
    for (const args of [['login', '--api', p.controller.url, '--token', p.adminToken], ['apps:create', oldName], ['domains:add', custom]]) {
      const r = await paas(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    for (const version of ['v1', 'v2']) {
      if (version !== 'v1') await commitFiles(dir, { 'server.js': server(version) }, version, env);
      const push = await run('git', ['push', 'paas', 'master'], { cwd: dir, env });
      assert.equal(push.code, 0, push.stderr);
    }
    await eventually(async () => assert.equal((await p.viaRouter(oldName)).body, 'v2'));
  });
  after(async () => {
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(env.HOME as string, { recursive: true, force: true });
  });

  test('the app serves under its new name only, with its custom domain, and nothing keeps the old name', async () => {
    const out = await paas(['apps:rename', newName]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^Renaming ${oldName} to ${newName}\\.\\.\\. done$`, 'm'));
    assert.match(out.stdout, new RegExp(`^http://${newName}\\.localhost:${p.routerPort}/ \\| ${p.controller.url}/${newName}\\.git$`, 'm'));
    assert.match(out.stdout, /^Git remote paas updated$/m);
    const remote = await run('git', ['config', '--get', 'remote.paas.url'], { cwd: dir, env });
    assert.equal(remote.stdout.trim(), `${p.controller.url}/${newName}.git`);

    await eventually(async () => {
      const res = await p.viaRouter(newName);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'v2');
    });
    assert.equal((await p.viaRouter(oldName)).status, 404);
    assert.equal((await httpGet(p.routerPort, custom)).body, 'v2');

    assert.deepEqual(await containersOf(oldName), []);
    assert.deepEqual(await containersOf(newName), ['web.1@v2']);
    const oldImages = await p.docker.listImages({ filters: { reference: [`${p.config.registry}/${oldName}`] } });
    assert.deepEqual(oldImages.flatMap((i) => i.RepoTags ?? []), []);
    // The engine kept the image under the new name: a restart (which does not pull) works.
    const restart = await paas(['ps:restart', 'web']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal((await p.viaRouter(newName)).body, 'v2');
    const newTags = await tagsOf(newName);
    for (const tag of ['v1', 'v2']) assert.ok(newTags.includes(tag), `registry tags of ${newName}: ${newTags}`);
    assert.deepEqual(await tagsOf(oldName), []);
    assert.equal((await p.api('GET', `/apps/${oldName}`)).status, 404);
    const releases = await p.api<Array<{ version: number; current: boolean }>>('GET', `/apps/${newName}/releases`);
    assert.deepEqual(releases.body.map((r) => [r.version, r.current]), [[1, false], [2, true]]);
  });

  test('rollback to v1 works under the new name, and the updated remote deploys', async () => {
    const rb = await paas(['releases:rollback', 'v1']);
    assert.equal(rb.code, 0, rb.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(newName)).body, 'v1'));
    assert.deepEqual(await containersOf(newName), ['web.1@v3']);

    await commitFiles(dir, { 'server.js': server('v4') }, 'v4', env);
    const push = await run('git', ['push', 'paas', 'master'], { cwd: dir, env });
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, new RegExp(`remote: +http://${newName}\\.localhost:${p.routerPort}/ deployed`));
    await eventually(async () => assert.equal((await p.viaRouter(newName)).body, 'v4'));
    assert.deepEqual(await containersOf(oldName), []);
  });

  test('the old name is free again', async () => {
    const made = await p.api<{ name: string }>('POST', '/apps', { name: oldName });
    assert.equal(made.status, 201);
    assert.equal((await p.viaRouter(oldName)).status, 503);
    assert.equal(fs.existsSync(path.join(p.config.dataDir, 'repos', `${oldName}.git`)), true);
  });
});
