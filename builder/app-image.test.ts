// How app images are assembled on the run stack (app-image.ts), with the real daemon and
// registry: layer order and reuse, ownership, symlinks, the entry point.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Dockerode from 'dockerode';
import { run } from './exec-file.ts';
import { ensureStackImages, stackImages } from './stack.ts';
import * as t from './builder.test-support.ts';
import { registryAuthHeaders } from '../common/registry-auth.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const h = t.buildHarness({ config, docker, network: 'none' });
const temps: string[] = [];

before(async () => {
  await ensureStackImages({ docker, images: stackImages(config), workDir: `${config.dataDir}/stack`, log: () => {} });
});
after(async () => {
  await h.cleanup();
  for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
});

/** The `npm pack` tarball of a one-file package `greet` with a `greet` command. */
async function greetPackage(version: string, greeting: string): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-pkg-'));
  temps.push(dir);
  const pkg = path.join(dir, 'package');
  await fs.mkdir(pkg);
  await fs.writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'greet', version, main: 'index.js', bin: { greet: 'cli.js' } }));
  await fs.writeFile(path.join(pkg, 'index.js'), `module.exports = (n) => ${JSON.stringify(greeting)} + ' ' + n;\n`);
  await fs.writeFile(path.join(pkg, 'cli.js'), "#!/usr/bin/env node\nconsole.log(require('./index.js')('cli'));\n", { mode: 0o755 });
  await run('tar', ['-czf', path.join(dir, 'greet.tgz'), '-C', dir, 'package']);
  return fs.readFile(path.join(dir, 'greet.tgz'));
}

/** A Node.js app depending on a vendored `greet` tarball through its lockfile: no network. */
function nodeApp(tgz: Buffer, version: string, server: string): Record<string, string | Buffer> {
  const dep = `file:vendor/greet-${version}.tgz`;
  const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
  return {
    'package.json': JSON.stringify({ name: 'layered', version: '1.0.0', dependencies: { greet: dep }, scripts: { start: 'node server.js' } }),
    'package-lock.json': JSON.stringify({
      name: 'layered', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'layered', version: '1.0.0', dependencies: { greet: dep } },
        'node_modules/greet': { version, resolved: dep, integrity, bin: { greet: 'cli.js' } },
      },
    }),
    [`vendor/greet-${version}.tgz`]: tgz,
    'server.js': server,
  };
}

async function imageLayers(image: string): Promise<string[]> {
  return (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
}

/** Layer digests of the image's manifest in the registry (compressed blobs, base first). */
async function registryLayers(image: string): Promise<string[]> {
  const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image) ?? [];
  const res = await fetch(`http://${config.registry}/v2/${repo}/manifests/${tag}`, { headers: { ...registryAuthHeaders(config.registryAuth), accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

const layerLine = (lines: string[]): string | undefined => lines.find((l) => l.startsWith('       Layers on '));

describe('Node.js app images', () => {
  const server = "require('http').createServer((q, s) => s.end(require('greet')('node'))).listen(process.env.PORT);\n";
  let first: Awaited<ReturnType<typeof h.build>>;
  let v1: Awaited<ReturnType<typeof greetPackage>>;
  // The first build, which both tests read: made here so that each test runs alone too.
  before(async () => {
    v1 = await greetPackage('1.0.0', 'hello');
    first = await h.build(nodeApp(v1, '1.0.0', server));
  });

  test('the node_modules layer is reused when only the source changes, and made again when a dependency changes', async () => {
    const built1 = await first.result;
    assert.ok(first.lines.includes('-----> Installing dependencies (npm ci)'), first.lines.join('\n'));
    assert.match(layerLine(first.lines) ?? '', /^ {7}Layers on paas\/node-runtime:\S+: node_modules \(new\), app \(new\) \(\d+\.\d s\)$/);
    assert.equal(await h.serve(first.data.image, built1), 'hello node');

    // Same lockfile, one source file changed: no install, and the same dependency layer.
    const second = await h.build(nodeApp(v1, '1.0.0', `${server}// changed\n`), { app: first.data.app });
    const built2 = await second.result;
    assert.ok(second.lines.includes('-----> Restoring node_modules from the build cache (package-lock.json unchanged): skipping npm ci'), second.lines.join('\n'));
    assert.ok(!second.lines.some((l) => l.includes('npm ci)')), second.lines.join('\n'));
    assert.match(layerLine(second.lines) ?? '', /^ {7}Layers on paas\/node-runtime:\S+: node_modules \(unchanged\), app \(new\) \(\d+\.\d s\)$/);
    assert.equal(await h.serve(second.data.image, built2), 'hello node');

    // Base first: the run stack, the Node.js runtime, node_modules, the app.
    const [local1, local2] = [await imageLayers(first.data.image), await imageLayers(second.data.image)];
    assert.equal(local1.length, 4);
    assert.deepEqual(local2.slice(0, 3), local1.slice(0, 3));
    assert.notEqual(local2[3], local1[3]);
    const [pushed1, pushed2] = [await registryLayers(first.data.image), await registryLayers(second.data.image)];
    assert.deepEqual(pushed2.slice(0, 3), pushed1.slice(0, 3));
    assert.notEqual(pushed2[3], pushed1[3]);
    // The push skipped the dependency layer (the daemon names layers by their diff id).
    assert.ok(second.lines.includes(`       ${local2[2].slice(7, 19)}: Layer already exists`), second.lines.join('\n'));
    assert.ok(second.lines.includes(`       ${local2[3].slice(7, 19)}: Pushed`), second.lines.join('\n'));

    // Another version of the dependency: npm ci runs, and node_modules gets a new layer.
    const v2 = await greetPackage('1.0.1', 'howdy');
    const third = await h.build(nodeApp(v2, '1.0.1', server), { app: first.data.app });
    const built3 = await third.result;
    assert.ok(third.lines.includes('-----> Installing dependencies (npm ci)'), third.lines.join('\n'));
    assert.match(layerLine(third.lines) ?? '', /^ {7}Layers on paas\/node-runtime:\S+: node_modules \(new\), app \(new\) \(\d+\.\d s\)$/);
    const local3 = await imageLayers(third.data.image);
    assert.equal(local3.length, 4);
    assert.deepEqual(local3.slice(0, 2), local1.slice(0, 2));
    assert.notEqual(local3[2], local1[2]);
    assert.ok(third.lines.includes(`       ${local3[2].slice(7, 19)}: Pushed`), third.lines.join('\n'));
    assert.equal(await h.serve(third.data.image, built3), 'howdy node');
  });

  test('the image runs as uid 1000 with its files owned by 1000:1000, the .bin symlinks kept, .profile.d and the entry point in place', async () => {
    const built = await first.result;
    const out = await h.runOnce(first.data.image, built, [
      'id -u',
      'stat -c "%U:%G %n" /app /app/server.js /app/.paas/entry /app/.profile.d/nodejs.sh /app/node_modules /app/node_modules/greet/cli.js | sort -k2',
      'readlink node_modules/.bin/greet',
      'greet',
      'find /app ! -user 1000 -o ! -group 1000 | head -3',
    ].join(' && '));
    assert.equal(out, [
      '1000',
      'paas:paas /app',
      'paas:paas /app/.paas/entry',
      'paas:paas /app/.profile.d/nodejs.sh',
      'paas:paas /app/node_modules',
      'paas:paas /app/node_modules/greet/cli.js',
      'paas:paas /app/server.js',
      '../greet/cli.js',
      'hello cli',
      '',
    ].join('\n'));
  });
});
