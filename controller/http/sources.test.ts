// Source uploads and deploy tokens: signed single-use URLs (403 when expired, forged or used),
// the size limit (413, nothing kept on disk), builds from uploads, and what a deploy token can do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Dockerode from 'dockerode';
import request from 'supertest';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';

describe('sources and deploy tokens', () => {
  const config = testConfig({ sourceMaxBytes: 64 * 1024 });
  let ctl: ControllerHandle;
  let auth: string;
  const api = () => request(ctl.server);
  const uploads = () => path.join(config.dataDir, 'sources', 'uploads');
  const pathOf = (url: string) => { const u = new URL(url); return `${u.pathname}${u.search}`; };

  before(async () => {
    ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
    config.apiUrl = ctl.url;
    auth = `Bearer ${readAdminToken(config)}`;
    for (const name of ['src-a', 'src-b']) await api().post('/apps').set('authorization', auth).send({ name }).expect(201);
  });
  after(async () => { await ctl.close(); removeDataDir(config); });

  const newSource = async (app = 'src-a', token = auth) =>
    (await api().post(`/apps/${app}/sources`).set('authorization', token).expect(201)).body.source_blob as { put_url: string; get_url: string; expires_at: string };

  test('a put_url takes one upload; reusing, forging or outliving it is 403', async () => {
    const s = await newSource();
    assert.ok(s.put_url.startsWith(`${ctl.url}/sources/`));
    await api().put(pathOf(s.put_url)).send(Buffer.from('first')).expect(200);
    const again = await api().put(pathOf(s.put_url)).send(Buffer.from('second')).expect(403);
    assert.equal(again.body.id, 'forbidden');
    const t = await newSource();
    const forged = pathOf(t.put_url).replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    await api().put(forged).send(Buffer.from('x')).expect(403);
    await api().put(pathOf(t.get_url)).send(Buffer.from('x')).expect(403);
    config.sourceUrlTtl = 0;
    const expired = await newSource();
    config.sourceUrlTtl = 3600;
    await api().put(pathOf(expired.put_url)).send(Buffer.from('late')).expect(403);
  });

  test('an upload over the limit is 413 and leaves nothing on disk, declared or streamed', async () => {
    const s = await newSource();
    await api().put(pathOf(s.put_url)).send(Buffer.alloc(100 * 1024)).expect(413);
    // Streamed without a length: cut at the limit while it arrives.
    const t = await newSource();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${ctl.url}${pathOf(t.put_url)}`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      let sent = 0;
      const pump = () => { while (sent < 1024 * 1024) { sent += 16 * 1024; if (!req.write(Buffer.alloc(16 * 1024))) { req.once('drain', pump); return; } } req.end(); };
      pump();
    });
    assert.equal(status, 413);
    const sizes = fs.readdirSync(uploads()).flatMap((id) => fs.readdirSync(path.join(uploads(), id)).map((f) => fs.statSync(path.join(uploads(), id, f)).size));
    assert.ok(sizes.every((n) => n < 64 * 1024), `no upload file over the limit: ${sizes.join(',')}`);
    // The URL can be used again after a refused upload.
    await api().put(pathOf(t.put_url)).send(Buffer.from('small')).expect(200);
    // An upload cut off half-way frees the URL too.
    const u = await newSource();
    const cut = http.request(`${ctl.url}${pathOf(u.put_url)}`, { method: 'PUT', headers: { 'content-length': '1000' } });
    cut.on('error', () => undefined);
    cut.write(Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 100));
    cut.destroy();
    await eventually(async () => { await api().put(pathOf(u.put_url)).send(Buffer.from('again')).expect(200); });
  });

  test('a get_url builds once, for its own app only; a non-tarball makes a build that fails with a clear line', async () => {
    const s = await newSource();
    await api().put(pathOf(s.put_url)).send(Buffer.from('this is not a tarball')).expect(200);
    await api().post('/apps/src-b/builds').set('authorization', auth).send({ source_blob: { url: s.get_url } }).expect(403);
    const bad = await api().post('/apps/src-a/builds').set('authorization', auth).send({ source_blob: { url: s.get_url } }).expect(201);
    assert.equal(bad.body.status, 'failed');
    assert.match(bad.body.failure_reason, /not a readable tar archive/);
    const output = await api().get(`/apps/src-a/builds/${bad.body.id}/output`).set('authorization', auth).expect(200);
    assert.match(output.text, /^ ! +source_blob is not a readable tar archive/m);
    // Used (and removed) by that build: the URL is spent.
    await api().post('/apps/src-a/builds').set('authorization', auth).send({ source_blob: { url: s.get_url } }).expect(403);
    await api().get(pathOf(s.get_url)).expect(403);
    const empty = await newSource();
    await api().post('/apps/src-a/builds').set('authorization', auth).send({ source_blob: { url: empty.get_url } }).expect(403);
  });

  test('expired uploads are swept from the data dir', async () => {
    config.sourceUrlTtl = 0;
    const s = await newSource();
    config.sourceUrlTtl = 3600;
    const id = new URL(s.put_url).pathname.split('/').pop()!;
    assert.ok(fs.existsSync(path.join(uploads(), id)));
    await newSource(); // each new source sweeps expired ones
    assert.ok(!fs.existsSync(path.join(uploads(), id)));
  });

  test('a deploy token reaches only sources, builds and releases (read) of its app', async () => {
    const created = await api().post('/oauth/authorizations').set('authorization', auth).send({ description: 'ci', scope: ['deploy'], app: 'src-a' }).expect(201);
    assert.deepEqual(created.body.scope, ['deploy']);
    assert.equal(created.body.app.name, 'src-a');
    const deploy = `Bearer ${created.body.access_token.token}`;
    await newSource('src-a', deploy);
    await api().get('/apps/src-a/releases').set('authorization', deploy).expect(200);
    await api().get('/apps/src-a/builds').set('authorization', deploy).expect(200);
    for (const [method, url] of [['get', '/apps/src-a/config-vars'], ['patch', '/apps/src-a/config-vars'], ['post', '/apps/src-a/releases'], ['get', '/apps/src-b/releases'],
      ['post', '/apps/src-b/sources'], ['get', '/apps'], ['delete', '/apps/src-a'], ['post', '/oauth/authorizations'], ['get', '/account']] as const) {
      const res = await api()[method](url).set('authorization', deploy).send({}).expect(403);
      assert.match(res.body.message, /deploy token/, `${method} ${url}`);
    }
    const list = await api().get('/oauth/authorizations').set('authorization', auth).expect(200);
    assert.deepEqual(list.body.find((t: { id: string }) => t.id === created.body.id).scope, ['deploy']);
    await api().post('/oauth/authorizations').set('authorization', auth).send({ scope: ['deploy'] }).expect(422);
    // Git too: its own app only.
    const basic = `Basic ${Buffer.from(`ci:${created.body.access_token.token}`).toString('base64')}`;
    await api().get('/src-b.git/info/refs?service=git-receive-pack').set('authorization', basic).expect(403);
    await api().get('/src-a.git/info/refs?service=git-receive-pack').set('authorization', basic).expect(200);
  });
});
