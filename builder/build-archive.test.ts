// The tars a buildpack build gets (build-archive.ts): every member the paas user's, links kept
// as links (never followed on the host), special files of a tenant's tar left out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeDirsArchive, writeOwnedCopy } from './build-archive.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-build-archive-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

/** `tar -tv` lines as "type owner name[ -> target]" (mode letters kept for files). */
function listing(tarFile: string): string[] {
  return execFileSync('tar', ['-tvf', tarFile, '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n').map((line) => {
    const [mode, owner, , , , ...rest] = line.split(/\s+/);
    return `${mode} ${owner} ${rest.join(' ')}`;
  });
}

test('a tenant\'s source tar: every member owned by 1000:1000, contents and links kept, a fifo left out', async () => {
  const src = path.join(dir, 'src');
  await fs.mkdir(path.join(src, 'lib'), { recursive: true });
  await fs.writeFile(path.join(src, 'lib', 'a.js'), 'module.exports = 1;\n', { mode: 0o640 });
  await fs.symlink('/etc/shadow', path.join(src, 'escape'));
  execFileSync('mkfifo', [path.join(src, 'pipe')]);
  const from = path.join(dir, 'source.tar');
  execFileSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', from, '.']);
  const to = path.join(dir, 'owned.tar');
  await writeOwnedCopy(from, to);
  const lines = listing(to);
  assert.ok(lines.every((l) => l.split(' ')[1] === '1000/1000'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('-rw-r----- 1000/1000 ./lib/a.js')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('l') && l.endsWith('./escape -> /etc/shadow')), lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('pipe')), lines.join('\n'));
  assert.equal(execFileSync('tar', ['-xOf', to, './lib/a.js'], { encoding: 'utf8' }), 'module.exports = 1;\n');
});

test('buildpack directories: <root>/<index>/…, owned by 1000:1000 and writable by it, symlinks not followed', async () => {
  const bp = path.join(dir, 'bp');
  await fs.mkdir(path.join(bp, 'bin'), { recursive: true, mode: 0o500 });
  await fs.writeFile(path.join(bp, 'bin', 'compile'), '#!/bin/sh\n', { mode: 0o500 });
  await fs.writeFile(path.join(bp, 'empty'), '', { mode: 0o400 });
  await fs.symlink('/etc/shadow', path.join(bp, 'escape'));
  const to = path.join(dir, 'buildpacks.tar');
  await writeDirsArchive([bp, bp], 'buildpacks', to);
  const lines = listing(to);
  assert.ok(lines.every((l) => l.split(' ')[1] === '1000/1000'), lines.join('\n'));
  for (const i of [0, 1]) {
    assert.ok(lines.some((l) => l.startsWith('-rwx') && l.endsWith(` buildpacks/${i}/bin/compile`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('-rw-') && l.endsWith(` buildpacks/${i}/empty`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('drwx') && l.endsWith(` buildpacks/${i}/bin/`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('l') && l.endsWith(` buildpacks/${i}/escape -> /etc/shadow`)), lines.join('\n'));
  }
  assert.equal(execFileSync('tar', ['-xOf', to, 'buildpacks/1/bin/compile'], { encoding: 'utf8' }), '#!/bin/sh\n');
});
