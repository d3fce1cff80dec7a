import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fetchSourceBlob } from './source-blob.ts';

const open = { policy: { allowPrivate: true } };
const closed = { policy: { allowPrivate: false } };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-blob-'));
let server: http.Server;
let base = '';
const hits: string[] = [];

before(async () => {
  fs.mkdirSync(path.join(dir, 'src/myapp-1a2b/lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src/myapp-1a2b/package.json'), '{}');
  fs.writeFileSync(path.join(dir, 'src/myapp-1a2b/lib/x.js'), 'x');
  execFileSync('tar', ['-C', path.join(dir, 'src'), '-czf', path.join(dir, 'top.tgz'), 'myapp-1a2b']);
  execFileSync('tar', ['-C', path.join(dir, 'src/myapp-1a2b'), '-cf', path.join(dir, 'flat.tar'), '.']);
  fs.writeFileSync(path.join(dir, 'junk.tgz'), 'not a tarball at all');
  // 64 MiB of zeros in a tar, gzipped to ~64 KiB.
  fs.writeFileSync(path.join(dir, 'bomb.tgz'), zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect') { res.writeHead(302, { location: `${base}/top.tgz` }); res.end(); return; }
    const file = path.join(dir, path.basename(req.url ?? ''));
    if (!fs.existsSync(file)) { res.statusCode = 404; res.end(); return; }
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => { server.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const list = (tarFile: string): string[] => execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).trim().split('\n').sort();

test('a gzipped tarball with one top-level directory is unpacked to the root', async () => {
  const out = path.join(dir, 'out1.tar');
  await fetchSourceBlob(`${base}/top.tgz`, out, open);
  assert.deepEqual(list(out), ['lib/', 'lib/x.js', 'package.json']);
});

test('a plain tar with files at the root keeps them there', async () => {
  const out = path.join(dir, 'out2.tar');
  await fetchSourceBlob(`${base}/flat.tar`, out, open);
  assert.deepEqual(list(out), ['lib/', 'lib/x.js', 'package.json']);
});

test('bad URLs, HTTP errors and non-tar bodies are clear user errors', async () => {
  await assert.rejects(fetchSourceBlob('ftp://x/y', path.join(dir, 'o'), open), /http\(s\) URL/);
  await assert.rejects(fetchSourceBlob('nonsense', path.join(dir, 'o'), open), /not a URL/);
  await assert.rejects(fetchSourceBlob(`${base}/missing.tgz`, path.join(dir, 'o'), open), /HTTP 404/);
  await assert.rejects(fetchSourceBlob(`${base}/junk.tgz`, path.join(dir, 'o'), open), /not a readable tar/);
  assert.equal(fs.existsSync(path.join(dir, 'o')), false);
});

test('SSRF: a source_blob.url on loopback, link-local or private addresses is refused without a request', async () => {
  hits.length = 0;
  for (const url of [`${base}/top.tgz`, `http://localhost:${new URL(base).port}/top.tgz`, 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:127.0.0.1]:6379/']) {
    await assert.rejects(fetchSourceBlob(url, path.join(dir, 'o'), closed), (err: Error & { status?: number }) => {
      assert.equal(err.status, 422);
      assert.match(err.message, /loopback, private or reserved address/);
      return true;
    });
  }
  assert.deepEqual(hits, []);
  assert.equal(fs.existsSync(path.join(dir, 'o')), false);
});

test('SSRF: a redirect to a private address is not followed', async () => {
  hits.length = 0;
  const port = new URL(base).port;
  // localhost is allowed by name (as an operator's internal host would be); the redirect goes to 127.0.0.1.
  await assert.rejects(fetchSourceBlob(`http://localhost:${port}/redirect`, path.join(dir, 'o'), { policy: { allowPrivate: false, allowHosts: ['localhost'] } }),
    /redirects to a URL that is not allowed/);
  assert.deepEqual(hits, ['/redirect']);
});

test('a gzip bomb is stopped at the limit on unpacked bytes', async () => {
  await assert.rejects(fetchSourceBlob(`${base}/bomb.tgz`, path.join(dir, 'o'), { ...open, maxUnpackedBytes: 16 * 1024 * 1024 }), (err: Error & { status?: number }) => {
    assert.equal(err.status, 422);
    assert.match(err.message, /source_blob unpacked is larger than 16 MiB/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(dir, 'o')), false);
});
