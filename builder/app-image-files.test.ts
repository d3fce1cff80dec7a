// The slug directory is written by the build: the host assembling the image must not follow a
// symlink there (it appends a Dockerfile to context.tar with `tar -rf`). No daemon needed: the
// check comes first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import { assembleAppImage } from './app-image.ts';

test('a context.tar or layers file that is a symlink to a host file is refused, the file untouched', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-slug-'));
  try {
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious');
    const slug = path.join(dir, 'slug');
    fs.mkdirSync(slug);
    fs.symlinkSync(victim, path.join(slug, 'context.tar'));
    fs.writeFileSync(path.join(slug, 'layers'), '');
    const opts = { docker: {} as Dockerode, slugDir: slug, base: 'x', image: 'y', labels: {}, cmd: 'bash', timeoutMs: 1000, log: () => {} };
    await assert.rejects(assembleAppImage(opts), /context\.tar in the slug directory is not a regular file/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    fs.rmSync(path.join(slug, 'context.tar'));
    fs.writeFileSync(path.join(slug, 'context.tar'), '');
    fs.rmSync(path.join(slug, 'layers'));
    fs.symlinkSync('/etc/hostname', path.join(slug, 'layers'));
    await assert.rejects(assembleAppImage(opts), /layers in the slug directory is not a regular file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
