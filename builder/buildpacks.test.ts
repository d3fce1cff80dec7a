// The shipped python and static buildpacks, custom (third-party, unmodified Heroku) buildpacks
// from git and local paths, multi-buildpack builds, .slugignore, the build cache, and cancel.
// Every build here runs with no network.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Dockerode from 'dockerode';
import { UserBuildError } from '../common/errors.ts';
import { BuildCanceledError } from '../common/errors.ts';
import { run } from './exec-file.ts';
import { ensureStackImages, stackImages } from './stack.ts';
import * as t from './builder.test-support.ts';
import { zipStore } from './zip-store.test-support.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
const h = t.buildHarness({ config, docker, network: 'none', extraCaFile: process.env.NODE_EXTRA_CA_CERTS });
const temps: string[] = [];

before(async () => {
  await ensureStackImages({ docker, images: stackImages(config), workDir: `${config.dataDir}/stack`, log: () => {} });
});
after(async () => {
  await h.cleanup();
  for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Writes a buildpack (name -> script text; bin/* made executable) into a new directory. */
async function writeBuildpack(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('paas-bp-');
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text, { mode: name.startsWith('bin/') ? 0o755 : 0o644 });
  }
  return dir;
}

async function gitRepo(dir: string): Promise<string> {
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'buildpack');
  return `file://${dir}`;
}

/** Layer digests of a local image, base first. */
async function imageLayers(image: string): Promise<string[]> {
  return (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
}

/** GET with headers, raw body (no decompression). */
function get(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

// A buildpack as third parties write them for Heroku: bash, BUILD_DIR/CACHE_DIR/ENV_DIR, an
// `export` file for the buildpacks after it, .profile.d for the dynos, its own release.
const GREETER = {
  'bin/detect': '#!/usr/bin/env bash\n[ -f "$1/greeting.conf" ] && echo Greeter && exit 0\nexit 1\n',
  'bin/compile': `#!/usr/bin/env bash
set -eo pipefail
BUILD_DIR=$1 CACHE_DIR=$2 ENV_DIR=$3
BP_DIR=$(cd "$(dirname "$0")/.."; pwd)
echo "-----> Greeter compiling"
runs=$(( $(cat "$CACHE_DIR/greeter-runs" 2>/dev/null || echo 0) + 1 ))
echo "$runs" > "$CACHE_DIR/greeter-runs"
echo "       build number $runs with this cache"
echo "$(cat "$BUILD_DIR/greeting.conf") $(cat "$ENV_DIR/NAME")" > "$BUILD_DIR/greeting.txt"
if [ -e "$BUILD_DIR/secret.key" ] || [ -e "$BUILD_DIR/docs" ]; then echo "slugignored files are still there"; exit 1; fi
mkdir -p "$BUILD_DIR/.profile.d"
echo 'export GREETED=from-profile-d' > "$BUILD_DIR/.profile.d/greeter.sh"
echo 'export GREETER_HOME=/app/greeter' > "$BP_DIR/export"
if [ -f "$BUILD_DIR/SLOW" ]; then echo "slow build"; sleep 120; fi
`,
  'bin/release': '#!/usr/bin/env bash\nprintf -- "---\\ndefault_process_types:\\n  web: echo wrong\\n  worker: sleep 1\\n"\n',
};

// Runs after the greeter: sees its export, and its release is the one that counts.
const SERVER_BP = {
  'bin/detect': '#!/bin/sh\necho Server\n',
  'bin/compile': '#!/bin/sh\nset -e\necho "exported: $GREETER_HOME"\necho "$GREETER_HOME" > "$1/exported.txt"\n',
  'bin/release': `#!/bin/sh
cat <<'YAML'
---
config_vars:
  FROM_RELEASE: "yes"
default_process_types:
  web: python3 -c 'import http.server, os; body = (open("greeting.txt").read().strip() + " " + open("exported.txt").read().strip() + " " + os.environ["GREETED"]).encode(); H = type("H", (http.server.BaseHTTPRequestHandler,), {"do_GET": lambda s: (s.send_response(200), s.send_header("Content-Length", str(len(body))), s.end_headers(), s.wfile.write(body))}); http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()'
YAML
`,
};

describe('custom and multiple buildpacks', () => {
  test('a git (file://) buildpack and a local-path buildpack run in order, unmodified; the last release wins', async () => {
    const greeterUrl = await gitRepo(await writeBuildpack(GREETER));
    const serverDir = await writeBuildpack(SERVER_BP);
    const files = {
      'greeting.conf': 'hello',
      'Procfile': 'worker: sleep 2\n',
      '.slugignore': '# not needed at run time\n*.key\n/docs/\n',
      'secret.key': 'k',
      'docs/guide.md': 'read me',
      'keep/docs.txt': 'kept',
    };
    const over = { buildpacks: [greeterUrl, serverDir], env: { NAME: 'world' } };
    const { data, lines, result } = await h.build(files, over);
    const built = await result;
    assert.equal(built.buildpack, `${greeterUrl},${serverDir}`);
    assert.deepEqual(built.processTypes, { web: built.processTypes.web, worker: 'sleep 2' });
    assert.match(built.processTypes.web ?? '', /^python3 -c/);
    assert.deepEqual(built.configVars, { FROM_RELEASE: 'yes' });
    const log = lines.join('\n');
    assert.match(log, /-----> Fetching buildpack file:\/\//);
    assert.match(log, /-----> \.slugignore: removed 2 path\(s\)/);
    assert.match(log, /-----> Building with 2 buildpacks/);
    assert.match(log, /-----> Greeter app detected\n-----> Greeter compiling\n {7}build number 1 with this cache/);
    assert.match(log, /exported: \/app\/greeter/);
    assert.equal(await h.serve(data.image, built), 'hello world /app/greeter from-profile-d');
    assert.equal(await h.runOnce(data.image, built, 'ls keep; ls docs 2>&1 | wc -l'), 'docs.txt\n1\n');

    // Same app again: the checkout of that commit is reused, the build cache persists.
    const again = await h.build(files, { ...over, app: data.app });
    await again.result;
    const log2 = again.lines.join('\n');
    assert.match(log2, /-----> Buildpack file:\/\/\S+ at [0-9a-f]{7} \(cached\)/);
    assert.match(log2, /build number 2 with this cache/);
    assert.deepEqual(await t.buildContainers(docker, again.data.buildId), []);
  });

  test('a .buildpacks file lists the buildpacks when the app sets none', async () => {
    const serverDir = await writeBuildpack(SERVER_BP);
    const { lines, result } = await h.build({
      '.buildpacks': `# greeter first\n${await gitRepo(await writeBuildpack(GREETER))}\n\n${serverDir}\n`,
      'greeting.conf': 'hi',
    }, { env: { NAME: 'there' } });
    const built = await result;
    assert.equal(built.buildpack.split(',').length, 2);
    assert.ok(lines.some((l) => l.startsWith('-----> Using the buildpacks listed in .buildpacks')), lines.join('\n'));
  });

  test('build failures name the buildpack and leave no container', async () => {
    const failing = await writeBuildpack({ 'bin/detect': '#!/bin/sh\necho Failing\n', 'bin/compile': '#!/bin/sh\necho "about to fail"\nexit 4\n' });
    const { data, lines, result } = await h.build({ 'a.txt': 'x' }, { buildpacks: [failing] });
    await assert.rejects(result, (err: unknown) => {
      assert.ok(err instanceof UserBuildError);
      assert.equal(err.message, `Failed to compile Failing app (bin/compile of ${failing} exited with status 4).`);
      return true;
    });
    assert.ok(lines.includes('about to fail'), lines.join('\n'));
    assert.deepEqual(await t.buildContainers(docker, data.buildId), []);

    const missing = path.join(await tempDir('paas-none-'), 'nothing');
    await assert.rejects((await h.build({ 'a.txt': 'x' }, { buildpacks: [`file://${missing}`] })).result, /Could not fetch buildpack file:\/\//);
    await assert.rejects((await h.build({ 'a.txt': 'x' }, { buildpacks: [missing] })).result, /has no bin\/detect: it is not a Heroku buildpack/);
    await assert.rejects((await h.build({ 'a.txt': 'x' }, { buildpacks: ['heroku/ruby'] })).result, /Buildpack "heroku\/ruby" is not available/);
    await assert.rejects((await h.build({ 'a.txt': 'x' }, { buildpacks: [failing] }, { allowLocalBuildpacks: false })).result, /local paths are not allowed/);
    await assert.rejects((await h.build({ 'a.txt': 'x' }, { buildpacks: ['heroku/python'] })).result, /App not compatible with buildpack heroku\/python/);
  });

  test('cancel kills the running build and removes its container', async () => {
    const greeter = await writeBuildpack(GREETER);
    const abort = new AbortController();
    const { data, lines, result } = await h.build({ 'greeting.conf': 'x', SLOW: '1' }, { buildpacks: [greeter], env: { NAME: 'n' } }, {}, abort.signal);
    const deadline = Date.now() + 60_000;
    while (!lines.includes('slow build') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(lines.includes('slow build'), lines.join('\n'));
    const started = Date.now();
    abort.abort(new BuildCanceledError());
    await assert.rejects(result, BuildCanceledError);
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual(await t.buildContainers(docker, data.buildId), []);
    await assert.rejects(docker.getImage(data.image).inspect());
  });
});

describe('shipped buildpacks', () => {
  test('python: a virtualenv from vendor/ wheels, no network; a second build reuses it', async () => {
    const wheel = zipStore({
      'greet/__init__.py': 'def hello(name):\n    return "hello " + name\n',
      'greet-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n',
      'greet-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: paas-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
      'greet-1.0.dist-info/RECORD': 'greet/__init__.py,,\ngreet-1.0.dist-info/METADATA,,\ngreet-1.0.dist-info/WHEEL,,\ngreet-1.0.dist-info/RECORD,,\n',
    });
    const files = {
      'requirements.txt': 'greet==1.0\n',
      'vendor/greet-1.0-py3-none-any.whl': wheel,
      'Procfile': 'web: python app.py\n',
      'app.py': [
        'import http.server, os, sys, greet',
        'body = (greet.hello("python") + " " + sys.prefix).encode()',
        'class H(http.server.BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        '        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)',
        'http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()',
        '',
      ].join('\n'),
    };
    const { data, lines, result } = await h.build(files);
    const built = await result;
    assert.equal(built.buildpack, 'python');
    assert.deepEqual(built.processTypes, { web: 'python app.py' });
    assert.ok(lines.includes('-----> Installing requirements with pip (from vendor/, no index)'), lines.join('\n'));
    assert.equal(await h.serve(data.image, built), 'hello python /app/.heroku/python');
    assert.match(await h.runOnce(data.image, built, 'pip --version && pip list 2>/dev/null | grep greet'), /^pip \d+.*\ngreet +1\.0\n$/);

    // A source change only: the virtualenv is restored, and its layer is the first build's.
    const again = await h.build({ ...files, 'app.py': `# changed\n${files['app.py']}` }, { app: data.app });
    const built2 = await again.result;
    assert.ok(again.lines.some((l) => l.includes('skipping pip install')), again.lines.join('\n'));
    assert.ok(again.lines.some((l) => /^ {7}Layers on \S+: \.heroku \(unchanged\), app \(new\) \(\d+\.\d s\)$/.test(l)), again.lines.join('\n'));
    assert.equal(await h.serve(again.data.image, built2), 'hello python /app/.heroku/python');
    const [one, two] = [await imageLayers(data.image), await imageLayers(again.data.image)];
    assert.equal(one.length, 3); // the run stack, .heroku, the app
    assert.deepEqual(two.slice(0, 2), one.slice(0, 2));
    assert.notEqual(two[2], one[2]);
  });

  test('static: served with gzip, caching headers, ETag revalidation and an SPA fallback', async () => {
    const page = `<!doctype html><title>spa</title>${'<p>static site</p>'.repeat(40)}`;
    const { data, result } = await h.build({
      'static.json': JSON.stringify({ root: 'dist', spa: true, headers: { '/assets/**': { 'X-Frame-Options': 'DENY' } } }),
      'dist/index.html': page,
      'dist/assets/app.3f2a9c1b.js': `console.log(${JSON.stringify('x'.repeat(400))});\n`,
      'README.md': 'not served',
    });
    const built = await result;
    assert.equal(built.buildpack, 'static');
    assert.deepEqual(built.processTypes, { web: 'python3 /app/.heroku/static/server.py' });
    const { port } = await h.serveWeb(data.image, built);
    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.body.toString(), page);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    const gz = await get(port, '/some/client/route', { 'accept-encoding': 'gzip, br' });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gz.body.length < page.length / 4, `gzip body of ${gz.body.length} bytes`);
    const asset = await get(port, '/assets/app.3f2a9c1b.js');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(asset.headers['x-frame-options'], 'DENY');
    const revalidated = await get(port, '/assets/app.3f2a9c1b.js', { 'if-none-match': String(asset.headers.etag) });
    assert.equal(revalidated.status, 304);
    assert.equal((await get(port, '/../README.md')).body.toString(), page);
    assert.equal((await get(port, '/.heroku/static/server.py')).body.toString(), page);
  });

  test('nodejs: a second build with the same lockfile restores node_modules and skips npm ci', async () => {
    const pkgDir = await tempDir('paas-pkg-');
    await fs.mkdir(path.join(pkgDir, 'package'));
    await fs.writeFile(path.join(pkgDir, 'package', 'package.json'), JSON.stringify({ name: 'greet', version: '1.0.0', main: 'index.js' }));
    await fs.writeFile(path.join(pkgDir, 'package', 'index.js'), "module.exports = (n) => 'hello ' + n;\n");
    await run('tar', ['-czf', path.join(pkgDir, 'greet.tgz'), '-C', pkgDir, 'package']);
    const tgz = await fs.readFile(path.join(pkgDir, 'greet.tgz'));
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    const dep = 'file:vendor/greet-1.0.0.tgz';
    const files = {
      'package.json': JSON.stringify({ name: 'cached', version: '1.0.0', dependencies: { greet: dep }, scripts: { start: 'node server.js' } }),
      'package-lock.json': JSON.stringify({
        name: 'cached', version: '1.0.0', lockfileVersion: 3, requires: true,
        packages: {
          '': { name: 'cached', version: '1.0.0', dependencies: { greet: dep } },
          'node_modules/greet': { version: '1.0.0', resolved: dep, integrity },
        },
      }),
      'vendor/greet-1.0.0.tgz': tgz,
      'server.js': "require('http').createServer((q, s) => s.end(require('greet')('node'))).listen(process.env.PORT);\n",
    };
    const first = await h.build(files);
    await first.result;
    assert.ok(first.lines.includes('-----> Installing dependencies (npm ci)'), first.lines.join('\n'));
    const second = await h.build({ ...files, 'server.js': `${files['server.js']}// changed\n` }, { app: first.data.app });
    const built = await second.result;
    assert.ok(second.lines.includes('-----> Restoring node_modules from the build cache (package-lock.json unchanged): skipping npm ci'), second.lines.join('\n'));
    assert.ok(!second.lines.some((l) => l.includes('(npm ci)')));
    assert.equal(await h.serve(second.data.image, built), 'hello node');
  });
});
