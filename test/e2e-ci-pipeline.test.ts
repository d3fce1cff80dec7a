// A CI pipeline against a real platform (Docker, registry, Redis), driven by the client generated
// from docs/openapi.json: create the app, upload a source, build it, follow the output, read the
// release, roll back. A deploy token does the deploying; a webhook receiver checks signatures;
// the CLI's builds:create packs a directory (with a .slugignore) and fails clearly on bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApiClient, type ApiClient } from '../cli/api-client.ts';
import { eventually } from './helpers/eventually.ts';
import { paas, tempDir, userEnv } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const page = (text: string) => ({ 'index.html': `<h1>${text}</h1>\n`, 'static.json': '{"root": "."}\n' });

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

describe('CI pipeline through the generated client', () => {
  let p: TestPlatform;
  let admin: ApiClient;
  const app = `ci-${process.pid}`;
  const transcript: string[] = [];
  const note = (line: string) => { transcript.push(line); };
  const hookSecret = 'pipeline-webhook-secret';
  const received: Array<{ ok: boolean; body: { resource: string; action: string; data: { status?: string; version?: number } } }> = [];
  let receiver: http.Server;
  let deployToken = '';

  before(async () => {
    p = await startTestPlatform({ webhookRetryBaseMs: 200 });
    admin = createApiClient(p.controller.url, p.adminToken);
    receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => {
        const ok = createHmac('sha256', hookSecret).update(raw).digest('base64') === req.headers['heroku-webhook-hmac-sha256'];
        received.push({ ok, body: JSON.parse(raw) });
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    receiver.close();
    await p.stop();
    console.log(transcript.join('\n'));
  });

  test('create app -> upload source -> build -> follow output -> release -> roll back', async () => {
    const created = await admin.POST('/apps', { body: { name: app } });
    assert.equal(created.response.status, 201);
    note(`POST /apps -> ${created.response.status} ${created.data?.name}`);
    // The operator's side, with the CLI: a webhook and a deploy token for the CI job.
    const adminEnv = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url, PAAS_API_KEY: p.adminToken });
    const hook = await paas(['webhooks:add', '-i', 'api:build,api:release', '-u', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paas`, '-s', hookSecret, '-a', app], adminEnv);
    assert.equal(hook.code, 0, hook.stderr);
    assert.match(hook.stdout, /Added webhook \S+ to /);
    const hooks = await paas(['webhooks', '-a', app], adminEnv);
    assert.match(hooks.stdout, /api:build,api:release {2}sync/);
    const token = await paas(['authorizations:create', '--scope', 'deploy', '-a', app, '--json'], adminEnv);
    assert.equal(token.code, 0, token.stderr);
    const issued = JSON.parse(token.stdout) as { scope: string[]; app: { name: string }; access_token: { token: string } };
    assert.deepEqual([issued.scope, issued.app.name], [['deploy'], app]);
    deployToken = issued.access_token.token;
    const ci = createApiClient(p.controller.url, deployToken);
    note(`$ paas webhooks:add -i api:build,api:release -u RECEIVER -s SECRET -a ${app}\n    ${hook.stdout.trim()}`);
    note(`$ paas authorizations:create --scope deploy -a ${app} -> scope ${issued.scope.join(',')} app ${issued.app.name}`);

    // Upload the source to a put_url the platform serves.
    const src = tempDir('paas-ci-src-');
    writeTree(src, page('pipeline v1'));
    const tarball = execFileSync('tar', ['-C', src, '-cz', '.']);
    const source = await ci.POST('/apps/{app}/sources', { params: { path: { app } } });
    assert.equal(source.response.status, 201);
    const blob = source.data!.source_blob;
    note(`POST /apps/${app}/sources -> ${source.response.status} (expires ${blob.expires_at}, max ${blob.max_bytes} bytes)`);
    const put = await fetch(blob.put_url, { method: 'PUT', body: tarball });
    assert.equal(put.status, 200);
    note(`PUT put_url (${tarball.length} bytes) -> ${put.status}`);
    assert.equal((await fetch(blob.put_url, { method: 'PUT', body: tarball })).status, 403, 'a put_url is single-use');

    const build = await ci.POST('/apps/{app}/builds', { params: { path: { app } }, body: { source_blob: { url: blob.get_url, version: 'v1-sha' } } });
    assert.equal(build.response.status, 201);
    assert.equal(build.data?.status, 'pending');
    note(`POST /apps/${app}/builds -> ${build.response.status} ${build.data?.id} ${build.data?.status}`);

    const output = await ci.GET('/apps/{app}/builds/{build}/output', { params: { path: { app, build: build.data!.id } }, parseAs: 'text' });
    assert.match(output.data ?? '', /-----> Static site app detected/);
    note(`GET output_stream_url ->\n${(output.data ?? '').trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`);

    const done = await ci.GET('/apps/{app}/builds/{build}', { params: { path: { app, build: build.data!.id } } });
    assert.equal(done.data?.status, 'succeeded');
    const releases = await ci.GET('/apps/{app}/releases', { params: { path: { app } } });
    const v1 = releases.data?.find((r) => r.slug?.id === build.data!.id);
    assert.equal(v1?.status, 'succeeded');
    assert.equal(v1?.current, true);
    note(`GET /apps/${app}/releases -> v${v1?.version} ${v1?.status} current=${v1?.current} "${v1?.description}"`);
    await eventually(async () => assert.match((await p.viaRouter(app)).body, /pipeline v1/), 15_000);

    // A deploy token cannot roll back or read config.
    const denied = await ci.GET('/apps/{app}/config-vars', { params: { path: { app } } });
    assert.equal(denied.response.status, 403);
    note(`deploy token: GET /apps/${app}/config-vars -> ${denied.response.status} ${denied.error?.message}`);

    // The second deploy through the CLI, as a CI job runs it, with the deploy token.
    const dir = tempDir('paas-ci-dir-');
    writeTree(dir, { ...page('pipeline v2'), 'secret.txt': 'not for the slug\n', 'notes/todo.md': 'x\n', '.slugignore': 'secret.txt\nnotes/\n' });
    const env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url, PAAS_API_KEY: deployToken });
    const cli = await paas(['builds:create', '--dir', dir, '--version', 'v2-sha', '-a', app], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Packed 3 files .*\(2 left out/);
    assert.match(cli.stdout, /Build \S+ succeeded, released as v2/);
    note(`$ paas builds:create --dir DIR -a ${app}  (exit ${cli.code})\n${cli.stdout.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`);
    await eventually(async () => assert.match((await p.viaRouter(app)).body, /pipeline v2/), 15_000);
    assert.equal((await p.viaRouter(app, '/secret.txt')).status, 404, '.slugignore left secret.txt out');

    const rollback = await admin.POST('/apps/{app}/releases', { params: { path: { app } }, body: { release: String(v1!.version) } });
    assert.equal(rollback.response.status, 201);
    assert.equal(rollback.data?.description, `Rollback to v${v1!.version}`);
    note(`POST /apps/${app}/releases {release: ${v1!.version}} -> ${rollback.response.status} v${rollback.data?.version} ${rollback.data?.status} "${rollback.data?.description}"`);
    await eventually(async () => assert.match((await p.viaRouter(app)).body, /pipeline v1/), 15_000);
  });

  test('a file that is not a tarball makes a failed build: a clear line in its output, exit 1', async () => {
    const junk = path.join(tempDir('paas-ci-junk-'), 'junk.tgz');
    fs.writeFileSync(junk, 'this is not a tarball');
    const env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url, PAAS_API_KEY: deployToken });
    const bad = await paas(['builds:create', '--tarball', junk, '-a', app], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^ ! +source_blob is not a readable tar archive/m);
    assert.match(bad.stderr, /^ ! +Build \S+ failed: source_blob is not a readable tar archive/);
    note(`$ paas builds:create --tarball junk.tgz  (exit ${bad.code})\n${`${bad.stdout}${bad.stderr}`.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`);
  });

  test('the webhook heard every build (the failed one too) and release, each delivery signed', async () => {
    await eventually(async () => {
      assert.ok(received.some((r) => r.body.resource === 'release' && r.body.data.version === 3 && r.body.data.status === 'succeeded'));
      assert.ok(received.filter((r) => r.body.resource === 'build' && r.body.data.status === 'succeeded').length >= 2);
      assert.ok(received.some((r) => r.body.resource === 'build' && r.body.data.status === 'failed'), 'the junk build');
      const all = await admin.GET('/apps/{app}/webhook-deliveries', { params: { path: { app } } });
      assert.ok(all.data!.every((d) => d.status === 'succeeded'));
    }, 15_000);
    assert.ok(received.every((r) => r.ok), 'all signatures valid');
    const deliveries = await admin.GET('/apps/{app}/webhook-deliveries', { params: { path: { app } } });
    assert.ok(deliveries.data!.length >= 5);
    assert.ok(deliveries.data!.every((d) => d.status === 'succeeded' && d.num_attempts === 1));
    const env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url, PAAS_API_KEY: p.adminToken });
    const log = await paas(['webhooks:deliveries', '-a', app], env);
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.stdout.match(/ succeeded +attempts 1 +last 204/g)?.length, deliveries.data!.length);
    note(`$ paas webhooks:deliveries -a ${app}\n${log.stdout.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`);
    const id = /^(\S+) /.exec((await paas(['webhooks', '-a', app], env)).stdout.split('\n')[1])![1];
    assert.equal((await paas(['webhooks:remove', id, '-a', app], env)).code, 0);
    assert.match((await paas(['webhooks', '-a', app], env)).stdout, /has no webhooks/);
  });
});
