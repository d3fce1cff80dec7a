import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { UserBuildError } from '../common/errors.ts';
import { lsRemoteCommit, resolveBuildpacks, type ResolveOptions } from './buildpack-source.ts';
import { run } from './exec-file.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

test('lsRemoteCommit: HEAD, a branch, a tag (peeled wins), or nothing', () => {
  const out = `${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${C}\trefs/tags/v1^{}\n`;
  assert.equal(lsRemoteCommit(out, null), A);
  assert.equal(lsRemoteCommit(out, 'main'), A);
  assert.equal(lsRemoteCommit(out, 'v1'), C);
  assert.equal(lsRemoteCommit(out, 'v2'), null);
  assert.equal(lsRemoteCommit('', null), null);
});

// Attacks on the host through a tenant's buildpack URL. Real git, real files, real HTTP on loopback.
describe('buildpack sources are hostile', () => {
  const temps: string[] = [];
  const tempDir = (prefix: string) => { const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix)); temps.push(d); return d; };
  after(() => { for (const d of temps) fs.rmSync(d, { recursive: true, force: true }); });
  const options = (over: Partial<ResolveOptions>): ResolveOptions => ({
    refs: [], buildpacksDir: tempDir('paas-shipped-'), cacheDir: tempDir('paas-bpcache-'), allowLocal: true,
    urlPolicy: { allowPrivate: true }, log: () => {}, ...over,
  });

  /** A buildpack repository with bin/detect and bin/compile, plus `extra` (name -> file text, or {symlink}). */
  async function repo(extra: Record<string, string | { symlink: string }>): Promise<string> {
    const dir = tempDir('paas-bprepo-');
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin/detect'), '#!/bin/sh\necho x\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'bin/compile'), '#!/bin/sh\n', { mode: 0o755 });
    for (const [name, v] of Object.entries(extra)) {
      if (typeof v === 'string') fs.writeFileSync(path.join(dir, name), v);
      else fs.symlinkSync(v.symlink, path.join(dir, name));
    }
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir });
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'bp');
    return dir;
  }

  /** An HTTP server on loopback that records each request and answers with `answer`. */
  async function recorder(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    const seen: Array<{ url: string; authorization?: string }> = [];
    const server = http.createServer((req, res) => { seen.push({ url: req.url ?? '', authorization: req.headers.authorization }); answer(req, res); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    after(() => { server.close(); });
    return { seen, port: (server.address() as AddressInfo).port };
  }

  test('a checkout whose completion marker is a symlink to a host file does not overwrite that file', async () => {
    const victim = path.join(tempDir('paas-victim-'), 'paas.db');
    fs.writeFileSync(victim, 'precious');
    const dir = await repo({ '.paas-complete': { symlink: victim }, 'README': 'x' });
    const opts = options({ refs: [`file://${dir}`] });
    const [bp] = await resolveBuildpacks(opts);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    assert.equal(fs.lstatSync(path.join(bp.dir, '.paas-complete')).isSymbolicLink(), true);
    // Cached on the next build, still without writing into the checkout.
    await resolveBuildpacks(opts);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  });

  test('host git sends no netrc, stored credentials or credential helper secrets to a buildpack URL', async () => {
    const home = tempDir('paas-home-');
    const { seen, port } = await recorder((_req, res) => { res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }); res.end(); });
    fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login paas password NETRC_SECRET\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(home, '.git-credentials'), `http://paas:STORE_SECRET@127.0.0.1:${port}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(home, '.gitconfig'), '[credential]\n\thelper = store\n');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      // The operator allows private URLs here, so git does connect: what it sends is the point.
      await assert.rejects(resolveBuildpacks(options({ refs: [`http://127.0.0.1:${port}/x.git`] })), (err: Error) => {
        assert.doesNotMatch(err.message, /SECRET/);
        return true;
      });
    } finally {
      process.env.HOME = saved;
    }
    assert.ok(seen.length > 0, 'git reached the server');
    assert.deepEqual(seen.filter((s) => s.authorization !== undefined), []);
  });

  test('buildpack URLs on loopback or private addresses are refused unless the operator allows them', async () => {
    const { seen, port } = await recorder((_req, res) => { res.writeHead(404); res.end(); });
    for (const url of [`http://127.0.0.1:${port}/x.git`, `http://localhost:${port}/x.git`, `git://127.0.0.1:${port}/x.git`, 'https://169.254.169.254/x.git']) {
      await assert.rejects(resolveBuildpacks(options({ refs: [url], urlPolicy: { allowPrivate: false } })), (err: Error) => {
        assert.ok(err instanceof UserBuildError, String(err));
        assert.match(err.message, /loopback, private or reserved/);
        return true;
      }, url);
    }
    assert.deepEqual(seen, []);
  });

  test('git follows no redirect from an allowed host (to a private address)', async () => {
    const inner = await recorder((_req, res) => { res.writeHead(404); res.end(); });
    const outer = await recorder((req, res) => { res.writeHead(302, { location: `http://127.0.0.1:${inner.port}${req.url}` }); res.end(); });
    const policy = { allowPrivate: false, allowHosts: ['localhost'] };
    await assert.rejects(resolveBuildpacks(options({ refs: [`http://localhost:${outer.port}/x.git`], urlPolicy: policy })), UserBuildError);
    assert.ok(outer.seen.length > 0);
    assert.deepEqual(inner.seen, []);
  });
});
