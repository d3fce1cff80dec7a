import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fetchSourceBlob } from './source-blob.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-blob-'));
let server: http.Server;
let base = '';

before(async () => {
  fs.mkdirSync(path.join(dir, 'src/myapp-1a2b/lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src/myapp-1a2b/package.json'), '{}');
  fs.writeFileSync(path.join(dir, 'src/myapp-1a2b/lib/x.js'), 'x');
  execFileSync('tar', ['-C', path.join(dir, 'src'), '-czf', path.join(dir, 'top.tgz'), 'myapp-1a2b']);
  execFileSync('tar', ['-C', path.join(dir, 'src/myapp-1a2b'), '-cf', path.join(dir, 'flat.tar'), '.']);
  fs.writeFileSync(path.join(dir, 'junk.tgz'), 'not a tarball at all');
  server = http.createServer((req, res) => {
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
  await fetchSourceBlob(`${base}/top.tgz`, out);
  assert.deepEqual(list(out), ['lib/', 'lib/x.js', 'package.json']);
});

test('a plain tar with files at the root keeps them there', async () => {
  const out = path.join(dir, 'out2.tar');
  await fetchSourceBlob(`${base}/flat.tar`, out);
  assert.deepEqual(list(out), ['lib/', 'lib/x.js', 'package.json']);
});

test('bad URLs, HTTP errors and non-tar bodies are clear user errors', async () => {
  await assert.rejects(fetchSourceBlob('ftp://x/y', path.join(dir, 'o')), /http\(s\) URL/);
  await assert.rejects(fetchSourceBlob('nonsense', path.join(dir, 'o')), /not a URL/);
  await assert.rejects(fetchSourceBlob(`${base}/missing.tgz`, path.join(dir, 'o')), /HTTP 404/);
  await assert.rejects(fetchSourceBlob(`${base}/junk.tgz`, path.join(dir, 'o')), /not a readable tar/);
  assert.equal(fs.existsSync(path.join(dir, 'o')), false);
});
