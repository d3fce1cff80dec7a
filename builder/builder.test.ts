// End-to-end buildpack builds on the real dockerd and registry. The stack image is made in
// `before` (~50 s on a fresh machine, then cached).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Dockerode from 'dockerode';
import type { BuildJobResult } from '../common/build.ts';
import { UserBuildError } from '../common/errors.ts';
import { ensureStackImages, stackImages } from './stack.ts';
import * as t from './builder.test-support.ts';

const config = t.builderTestConfig();
const docker = new Dockerode({ socketPath: config.dockerSocket });
// Builds trust what this process trusts (this machine's network intercepts TLS).
const h = t.buildHarness({ config, docker, extraCaFile: process.env.NODE_EXTRA_CA_CERTS });

const PERL_SERVER = `use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalPort => $ENV{PORT}, Listen => 5, ReuseAddr => 1) or die "listen: $!";
$SIG{TERM} = sub { exit 0 };
while (my $c = $s->accept) { my $r = <$c>; print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nperl says $ENV{GREETING}\\n"; close $c; }
`;

before(async () => {
  await ensureStackImages({ docker, images: stackImages(config), workDir: `${config.dataDir}/stack`, log: () => {} });
});
after(() => h.cleanup());

describe('Node.js apps', () => {
  let hello: { image: string; result: BuildJobResult };

  test('without dependencies: builds with no network, runs `npm start` on $PORT as uid 1000', async () => {
    const { data, lines, result } = await h.build(
      {
        'package.json': JSON.stringify({ name: 'hello', version: '1.0.0', scripts: { build: 'node build.js', start: 'node server.js' } }),
        'build.js': "require('fs').writeFileSync('built.txt', process.env.GREETING);\n",
        'server.js': "const text = require('fs').readFileSync('built.txt', 'utf8');\nrequire('http').createServer((q, s) => s.end(`${text} from ${process.version} as ${process.getuid()} ${process.env.NODE_ENV}`)).listen(process.env.PORT);\n",
      },
      { env: { GREETING: 'hello world' } },
      { network: 'none' },
    );
    const built = await result;
    assert.equal(built.buildpack, 'nodejs');
    assert.deepEqual(built.processTypes, { web: 'npm start' });
    assert.match(built.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.ok(lines.includes('-----> Node.js app detected'), lines.join('\n'));
    assert.ok(lines.includes('-----> No dependencies to install'));
    assert.deepEqual(await t.buildContainers(docker, data.buildId), []);
    const info = await docker.getImage(data.image).inspect();
    assert.equal(info.Config.User, '1000:1000');
    assert.equal(info.Config.WorkingDir, '/app');
    assert.deepEqual(info.Config.Entrypoint, ['/app/.paas/entry']);
    assert.deepEqual(info.Config.Cmd, ['npm start']);
    assert.equal(info.Config.Labels['paas.app'], data.app);
    assert.equal(info.Config.Labels['paas.build'], data.buildId);
    assert.equal(info.Config.Labels['paas.stack.flavour'], 'run');
    assert.match(await h.serve(data.image, built), /^hello world from v24\.\d+\.\d+ as 1000 production$/);
    hello = { image: data.image, result: built };
  });

  test('the image runs one-string commands with bash -c after .profile.d, and argv commands as is', async () => {
    assert.equal(await h.runOnce(hello.image, hello.result, 'echo "$PORT $HOME $(command -v node)" && pwd'), '5000 /app /app/.heroku/node/bin/node\n/app\n');
    // Apps run on the run stack: no build tools.
    assert.equal(await h.runOnce(hello.image, hello.result, 'command -v git make xz || echo no build tools'), 'no build tools\n');
    const container = await docker.createContainer({ Image: hello.image, Cmd: ['node', '-p', 'process.argv.length'], Labels: { paas: '1' } });
    try {
      await container.start();
      await container.wait();
      assert.match((await container.logs({ stdout: true })).toString(), /1\n$/);
    } finally {
      await container.remove({ force: true });
    }
  });

  test('with dependencies and engines.node: npm install, devDependencies pruned', async () => {
    const { data, lines, result } = await h.build({
      'package.json': JSON.stringify({
        name: 'deps',
        engines: { node: '22.x' },
        dependencies: { ms: '^2.1.3' },
        devDependencies: { 'is-number': '^7.0.0' },
        scripts: { start: 'node server.js' },
      }),
      'server.js': "require('http').createServer((q, s) => s.end(require('ms')(60000) + ' ' + process.version)).listen(process.env.PORT);\n",
    });
    const built = await result;
    assert.ok(lines.some((l) => /^-----> Node\.js 22\.\d+\.\d+ \(engines\.node: 22\.x\)/.test(l)), lines.join('\n'));
    assert.match(await h.serve(data.image, built), /^1m v22\./);
    assert.equal(await h.runOnce(data.image, built, 'ls node_modules'), 'ms\n');
  });

  test('build code cannot make the builder read host files through symlinks in its output dir', async () => {
    const { result } = await h.build({
      'package.json': JSON.stringify({ scripts: { build: 'ln -s /etc/hostname /var/lib/paas/out/Procfile', start: 'node -v' } }),
    });
    assert.deepEqual((await result).processTypes, { web: 'npm start' });
  });

  test('a failing compile is a user error, with the output in the log and no container left', async () => {
    const { data, lines, result } = await h.build({ 'package.json': JSON.stringify({ name: 'broken', scripts: { build: 'echo compiling; exit 3' } }) });
    await assert.rejects(result, (err: unknown) => {
      assert.ok(err instanceof UserBuildError, String(err));
      assert.match(err.message, /Failed to compile Node\.js app/);
      return true;
    });
    assert.ok(lines.some((l) => l.includes('compiling')), lines.join('\n'));
    assert.deepEqual(await t.buildContainers(docker, data.buildId), []);
  });

  test('the time limit kills and removes the build container', async () => {
    const { data, result } = await h.build({ 'package.json': JSON.stringify({ scripts: { build: 'sleep 60' } }) }, {}, { timeoutMs: 6000 });
    await assert.rejects(result, /timed out/);
    assert.deepEqual(await t.buildContainers(docker, data.buildId), []);
  });
});

describe('other buildpack apps', () => {
  test('a Procfile-only app uses the null buildpack and its process types', async () => {
    const { data, result } = await h.build({ Procfile: 'web: perl server.pl\nworker: sleep infinity\n', 'server.pl': PERL_SERVER });
    const built = await result;
    assert.equal(built.buildpack, 'procfile');
    assert.deepEqual(built.processTypes, { web: 'perl server.pl', worker: 'sleep infinity' });
    assert.equal(await h.serve(data.image, built, ['GREETING=hi']), 'perl says hi\n');
  });

  test('no detectable buildpack, a bad Procfile and unknown buildpacks are user errors', async () => {
    await assert.rejects((await h.build({ 'README.md': 'hi\n' })).result, /No default language could be detected/);
    await assert.rejects((await h.build({ Procfile: 'web node server.js\n' })).result, /Procfile line 1/);
    await assert.rejects((await h.build({ Procfile: 'web: x\n' }, { buildpacks: ['https://example.invalid/bp.git'] })).result, UserBuildError);
    await assert.rejects((await h.build({ Procfile: 'web: x\n' }, { buildpacks: ['nodejs'] })).result, /not compatible with buildpack nodejs/);
    await assert.rejects((await h.build({ Procfile: '# nothing\n' })).result, /No process types/);
  });
});
