// End to end on real Docker, git, registry and router, one platform for the file (with HTTPS):
// an app with web and worker processes (scale, restart, a crashing worker, rollback), a Python
// and a static app pushed with git and served through the router, and HTTPS to pushed apps with
// an uploaded certificate (SNI) and with the router's default one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { zipStore } from '../builder/zip-store.test-support.ts';
import { presentedNames, secureRequest, testPki, type TestPki } from '../router/tls.test-support.ts';
import { eventually } from './helpers/eventually.ts';
import { commitFiles, paas, run, tempDir, userEnv, type Run } from './helpers/git.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const web = (version: string): string =>
  `require('http').createServer((req, res) => res.end('web ${version}')).listen(process.env.PORT);\n`;
/** Logs its version; exits 1 (once) when /tmp/crash appears, as a worker that hits a bug. */
const worker = (version: string): string => [
  "const fs = require('fs');",
  `console.log('worker ${version} ' + process.env.DYNO + ' started');`,
  "setInterval(() => { if (fs.existsSync('/tmp/crash')) { fs.unlinkSync('/tmp/crash'); console.log('crashing'); process.exit(1); } }, 100);",
  '',
].join('\n');

/** A pure-Python wheel, installed from vendor/ (builds have no network). */
const wheel = (): Buffer => zipStore({
  'greet/__init__.py': 'def hello(name):\n    return "hello " + name\n',
  'greet-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n',
  'greet-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: paas-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
  'greet-1.0.dist-info/RECORD': 'greet/__init__.py,,\ngreet-1.0.dist-info/METADATA,,\ngreet-1.0.dist-info/WHEEL,,\ngreet-1.0.dist-info/RECORD,,\n',
});
/** Answers greet's greeting and the X-Forwarded-Proto the router sent. */
const pythonApp = [
  'import http.server, os, greet',
  'class H(http.server.BaseHTTPRequestHandler):',
  '    def do_GET(self):',
  '        body = (greet.hello("python") + " over " + str(self.headers.get("X-Forwarded-Proto"))).encode()',
  '        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)',
  'http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()',
  '',
].join('\n');

interface DynoJson { name: string; state: string; type: string; release: { version: number } }

describe('apps as users push them: workers, Python, static, HTTPS', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  let pki: TestPki;
  const procs = `procs-${process.pid}`;
  const py = `py-${process.pid}`;
  const site = `site-${process.pid}`;

  const push = async (app: string, dir: string, files: Record<string, string | Buffer>, message: string): Promise<Run> => {
    await commitFiles(dir, files, message, env);
    return run('git', ['push', `${p.controller.url}/${app}.git`, 'master'], { cwd: dir, env });
  };
  /** This app's dyno containers: "name release" sorted, and the containers by name. */
  const containers = async (app: string): Promise<{ list: string[]; byName: Map<string, Dockerode.ContainerInfo> }> => {
    const all = await p.docker.listContainers({ filters: { label: [`${p.config.label}.app=${app}`, `${p.config.label}.dyno`] } });
    const byName = new Map(all.map((c) => [c.Labels[`${p.config.label}.dyno`], c]));
    return { list: all.map((c) => `${c.Labels[`${p.config.label}.dyno`]} v${c.Labels[`${p.config.label}.release`]}`).sort(), byName };
  };
  const dynos = async (app: string): Promise<string[]> =>
    (await p.api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body.map((d) => `${d.name} ${d.state} v${d.release.version}`).sort();

  before(async () => {
    pki = await testPki();
    p = await startTestPlatform({ domain: 'paas.test' }, { port: 0, defaultCert: await pki.issue(['*.paas.test']) });
    env = userEnv(tempDir('paas-home-'), { PAAS_API_URL: p.controller.url });
    assert.equal((await paas(['login', '--api', p.controller.url, '--token', p.adminToken], env)).code, 0);
    for (const name of [procs, py, site]) assert.equal((await paas(['apps:create', name], env)).code, 0);
  });
  after(async () => { await p.stop(); });

  test('web and worker processes: scale worker=2, restart, a crashed worker comes back, rollback keeps both', async () => {
    const dir = tempDir('paas-procs-');
    const base = { 'package.json': JSON.stringify({ name: 'procs', version: '1.0.0' }), 'Procfile': 'web: node web.js\nworker: node worker.js\n' };
    const v1 = await push(procs, dir, { ...base, 'web.js': web('v1'), 'worker.js': worker('v1') }, 'v1');
    assert.equal(v1.code, 0, v1.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(procs)).body, 'web v1'));
    const a = ['-a', procs];

    const scale = await paas(['ps:scale', 'worker=2', ...a], env);
    assert.equal(scale.code, 0, scale.stderr);
    assert.match(scale.stdout, /now running web at 1, worker at 2/);
    await eventually(async () => assert.deepEqual(await dynos(procs), ['web.1 up v1', 'worker.1 up v1', 'worker.2 up v1']));
    assert.deepEqual((await containers(procs)).list, ['web.1 v1', 'worker.1 v1', 'worker.2 v1']);
    // Workers are never routed: the router balances over web.1 only.
    for (let i = 0; i < 4; i++) assert.equal((await p.viaRouter(procs)).body, 'web v1');
    const logs = async (name: string): Promise<string> => {
      const c = (await containers(procs)).byName.get(name)!;
      return (await p.docker.getContainer(c.Id).logs({ stdout: true, stderr: true })).toString();
    };
    await eventually(async () => assert.match(await logs('worker.2'), /worker v1 worker\.2 started/));

    // ps:restart worker restarts both workers, not web.
    const startedAt = async (name: string): Promise<string> => (await p.docker.getContainer((await containers(procs)).byName.get(name)!.Id).inspect()).State.StartedAt;
    const before = { web: await startedAt('web.1'), w1: await startedAt('worker.1'), w2: await startedAt('worker.2') };
    const restart = await paas(['ps:restart', 'worker', ...a], env);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /Restarting worker\.1, worker\.2 dynos/);
    await eventually(async () => assert.deepEqual(await dynos(procs), ['web.1 up v1', 'worker.1 up v1', 'worker.2 up v1']));
    assert.notEqual(await startedAt('worker.1'), before.w1);
    assert.notEqual(await startedAt('worker.2'), before.w2);
    assert.equal(await startedAt('web.1'), before.web, 'web was not restarted');

    // worker.1 crashes (its process exits 1): Docker starts it again, the platform shows it up.
    const victim = p.docker.getContainer((await containers(procs)).byName.get('worker.1')!.Id);
    const crashed = await victim.exec({ Cmd: ['touch', '/tmp/crash'], User: '1000:1000' });
    const touched = (await crashed.start({ hijack: false })) as unknown as NodeJS.ReadableStream;
    await new Promise((resolve) => touched.on('end', resolve).on('close', resolve).resume());
    await eventually(async () => {
      const info = await victim.inspect();
      assert.ok(info.RestartCount > 0, 'restarted by Docker');
      assert.equal(info.State.Running, true);
    }, 20_000);
    await eventually(async () => assert.match(await logs('worker.1'), /crashing[\s\S]*worker v1 worker\.1 started/));
    await eventually(async () => assert.deepEqual(await dynos(procs), ['web.1 up v1', 'worker.1 up v1', 'worker.2 up v1']));

    // v2 of both; the formation (web=1, worker=2) carries over; a rollback to v1 brings both
    // process types back to v1's code as release v3.
    const v2 = await push(procs, dir, { 'web.js': web('v2'), 'worker.js': worker('v2') }, 'v2');
    assert.equal(v2.code, 0, v2.stderr);
    await eventually(async () => assert.deepEqual((await containers(procs)).list, ['web.1 v2', 'worker.1 v2', 'worker.2 v2']));
    assert.equal((await p.viaRouter(procs)).body, 'web v2');
    await eventually(async () => assert.match(await logs('worker.1'), /worker v2 worker\.1 started/));
    const rollback = await paas(['rollback', 'v1', ...a], env);
    assert.equal(rollback.code, 0, rollback.stderr);
    await eventually(async () => assert.deepEqual((await containers(procs)).list, ['web.1 v3', 'worker.1 v3', 'worker.2 v3']));
    await eventually(async () => assert.deepEqual(await dynos(procs), ['web.1 up v3', 'worker.1 up v3', 'worker.2 up v3']));
    assert.equal((await p.viaRouter(procs)).body, 'web v1');
    await eventually(async () => assert.match(await logs('worker.2'), /worker v1 worker\.2 started/));
    assert.doesNotMatch(await logs('worker.2'), /worker v2/, 'a new container, running v1 code');
    const formation = (await p.api<Array<{ type: string; quantity: number }>>('GET', `/apps/${procs}/formation`)).body;
    assert.deepEqual(formation.map((f) => `${f.type}=${f.quantity}`).sort(), ['web=1', 'worker=2']);
  });

  test('a Python app (requirements from vendor/) is pushed with git and served through the router', async () => {
    const dir = tempDir('paas-py-');
    const pushed = await push(py, dir, {
      'requirements.txt': 'greet==1.0\n', 'vendor/greet-1.0-py3-none-any.whl': wheel(), 'Procfile': 'web: python app.py\n', 'app.py': pythonApp,
    }, 'python');
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stderr, /remote: -----> Python app detected/);
    assert.match(pushed.stderr, /Installing requirements with pip \(from vendor\/, no index\)/);
    await eventually(async () => {
      const res = await p.viaRouter(py);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello python over http');
    });
  });

  test('a static site is pushed with git and served through the router', async () => {
    const dir = tempDir('paas-site-');
    const page = '<!doctype html><title>site</title><p>static over git</p>\n';
    const pushed = await push(site, dir, {
      'static.json': JSON.stringify({ root: 'public', spa: true }), 'public/index.html': page, 'public/about.txt': 'about\n',
    }, 'static');
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stderr, /remote: -----> Static site app detected/);
    await eventually(async () => assert.equal((await p.viaRouter(site)).body, page));
    const about = await p.viaRouter(site, '/about.txt');
    assert.equal(about.status, 200);
    assert.equal(about.body, 'about\n');
    assert.equal((await p.viaRouter(site, '/client/route')).body, page, 'the SPA fallback');
  });

  test('HTTPS through the router: the default certificate for app hosts, an uploaded one by SNI', async () => {
    assert.ok(p.httpsPort);
    const port = p.httpsPort;
    // The default certificate (*.paas.test) for the app's own host name.
    const viaDefault = await secureRequest(port, { servername: `${site}.paas.test`, ca: pki.ca.cert, path: '/about.txt' });
    assert.equal(viaDefault.authorized, true);
    assert.equal(viaDefault.status, 200);
    assert.equal(viaDefault.body, 'about\n');
    assert.equal(await presentedNames(port, `${py}.paas.test`), 'DNS:*.paas.test');

    // A custom domain with an uploaded certificate, chosen by SNI; the app sees https.
    const domain = 'shop.example.test';
    assert.equal((await paas(['domains:add', domain, '-a', py], env)).code, 0);
    const pair = await pki.issue([domain]);
    const added = await p.api('POST', `/apps/${py}/sni-endpoints`, { certificate_chain: pair.cert, private_key: pair.key });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await eventually(async () => assert.equal(await presentedNames(port, domain), `DNS:${domain}`));
    const viaUploaded = await secureRequest(port, { servername: domain, ca: pki.ca.cert });
    assert.equal(viaUploaded.authorized, true);
    assert.equal(viaUploaded.status, 200);
    assert.equal(viaUploaded.body, 'hello python over https');
    // The other apps keep the default certificate.
    assert.equal(await presentedNames(port, `${site}.paas.test`), 'DNS:*.paas.test');
  });
});
