// Zero-downtime releases and self-healing on real Docker, with load running through the router:
// a release that never becomes healthy leaves the old one serving every request, and a dyno
// killed from outside leaves routing at once, shows its state in GET /dynos and comes back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type Dockerode from 'dockerode';
import { backendKey } from '../common/route-acks.ts';
import type { RouteTable } from '../common/routes.ts';
import { routeTableKey } from '../common/redis-keys.ts';
import { setAppSettings } from '../controller/store/app-settings.ts';
import { findApp } from '../controller/store/apps.ts';
import { Redis } from 'ioredis';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { commitFiles, run, tempDir, userEnv } from './helpers/git.ts';
import { eventually } from './helpers/eventually.ts';
import { startLoadProcess } from '../bench/zero-downtime/load-process.ts';

/** "/" answers the version after a few ms, "/up" is the health check, "/crash" exits. */
const healthy = (version: string): string => `const http = require('http');
http.createServer((req, res) => {
  if (req.url === '/up') return res.end('ok');
  if (req.url === '/crash') { res.end('bye'); setTimeout(() => process.exit(1), 10); return; }
  setTimeout(() => res.end(${JSON.stringify(version)}), 5);
}).listen(process.env.PORT);
`;
const answers500 = `require('http').createServer((req, res) => { res.statusCode = 500; res.end('broken'); }).listen(process.env.PORT);\n`;
const neverListens = `console.log('not listening'); setInterval(() => {}, 1000);\n`;

interface Load { stop(): Promise<{ requests: number; failures: string[]; bodies: Record<string, number> }> }

/** Keep-alive GET loops through the router (4 connections, ~100 req/s in all). */
function startLoad(port: number, host: string): Load {
  let running = true;
  let requests = 0;
  const failures: string[] = [];
  const bodies: Record<string, number> = {};
  const lane = async (): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (running) {
      requests++;
      const t = Date.now();
      await new Promise<void>((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => { body += c; });
          res.on('end', () => {
            if (res.statusCode === 200) bodies[body] = (bodies[body] ?? 0) + 1;
            else failures.push(`${new Date(t).toISOString()} HTTP ${res.statusCode} ${body.slice(0, 80)}`);
            resolve();
          });
        }).on('error', (err) => { failures.push(`${new Date(t).toISOString()} ${err.message}`); resolve(); });
      });
      await new Promise((r) => setTimeout(r, 35));
    }
    agent.destroy();
  };
  const lanes = Array.from({ length: 4 }, () => lane());
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      return { requests, failures, bodies };
    },
  };
}

interface DynoJson { id: string; name: string; state: string; release: { version: number } }

describe('zero-downtime releases and self-healing', () => {
  let p: TestPlatform;
  let env: NodeJS.ProcessEnv;
  let redis: Redis;
  const app = `zdt-${process.pid}`;
  const dir = tempDir('paas-zdt-');
  let gitUrl = '';

  const push = (files: Record<string, string>, message: string) =>
    commitFiles(dir, files, message, env).then(() => run('git', ['push', gitUrl, 'master'], { cwd: dir, env }));
  const table = async (): Promise<RouteTable> => JSON.parse((await redis.get(routeTableKey(p.config.redisPrefix))) ?? '{"apps":[]}') as RouteTable;
  /** The app's routed backends, "host:port" (a dyno's address on its app network and $PORT). */
  const routed = async (): Promise<string[]> => ((await table()).apps.find((a) => a.app === app)?.backends ?? []).map(backendKey).sort();
  const addressOf = (info: Dockerode.ContainerInspectInfo): string => `${info.NetworkSettings.Networks[info.HostConfig.NetworkMode!].IPAddress}:5000`;

  before(async () => {
    p = await startTestPlatform();
    redis = new Redis(p.config.redisUrl);
    env = userEnv(tempDir('paas-home-'));
    gitUrl = `${p.controller.url.replace('://', `://user:${p.adminToken}@`)}/${app}.git`;
    assert.equal((await p.api('POST', '/apps', { name: app })).status, 201);
    // Per-app settings (store): health check on /up, 5 s to boot, 10 s drain grace.
    setAppSettings(p.controller.db, findApp(p.controller.db, app)!.id, { healthCheckPath: '/up', bootTimeoutSec: 5, drainGraceSec: 10 });
    const first = await push({
      'package.json': JSON.stringify({ name: 'zdt', version: '1.0.0' }), 'Procfile': 'web: node server.js\n', 'server.js': healthy('v1'),
    }, 'v1');
    assert.equal(first.code, 0, first.stderr);
    await eventually(async () => assert.equal((await p.viaRouter(app)).body, 'v1'));
  });
  after(async () => {
    redis.disconnect();
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(env.HOME as string, { recursive: true, force: true });
  });

  test('releases that never become healthy are marked failed while the old one serves every request', async () => {
    const load = startLoad(p.routerPort, `${app}.${p.config.domain}`);
    const unhealthy = await push({ 'server.js': answers500 }, 'answers 500');
    const silent = await push({ 'server.js': neverListens }, 'never listens');
    const seen = await load.stop();

    assert.notEqual(unhealthy.code, 0);
    assert.match(unhealthy.stderr, /web\.1 answered 500 on \/up/);
    assert.match(unhealthy.stderr, /did not answer HTTP GET \/up on \$PORT with a non-5xx status within 5s/);
    assert.notEqual(silent.code, 0);
    assert.match(silent.stderr, /did not answer HTTP GET \/up on \$PORT with a non-5xx status within 5s:\s+remote: not listening/);

    assert.ok(seen.requests > 200, `only ${seen.requests} requests`);
    assert.deepEqual(seen.failures, []);
    assert.deepEqual(Object.keys(seen.bodies), ['v1'], 'only the old release answered');

    const releases = await p.api<Array<{ version: number; status: string; current: boolean }>>('GET', `/apps/${app}/releases`);
    assert.deepEqual(releases.body.map((r) => [r.version, r.status, r.current]), [[1, 'succeeded', true], [2, 'failed', false], [3, 'failed', false]]);
    const left = await p.docker.listContainers({ all: true, filters: { label: [`${p.config.label}.app=${app}`, `${p.config.label}.dyno`] } });
    assert.deepEqual(left.map((c) => c.Labels[`${p.config.label}.release`]), ['1'], 'the failed releases left no container behind');
  });

  test('a killed dyno leaves routing at once, shows its state, and is restarted and routed again', async (t) => {
    const fixed = await push({ 'server.js': healthy('v4') }, 'healthy again');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal((await p.api('PATCH', `/apps/${app}/formation/web`, { quantity: 2 })).status, 200);
    const dynos = async (): Promise<DynoJson[]> => (await p.api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body;
    await eventually(async () => assert.deepEqual((await dynos()).map((d) => `${d.name} ${d.state}`), ['web.1 up', 'web.2 up']));
    await eventually(async () => assert.equal((await routed()).length, 2));

    const load = startLoad(p.routerPort, `${app}.${p.config.domain}`);
    await new Promise((r) => setTimeout(r, 500));
    const victim = (await dynos()).find((d) => d.name === 'web.1')!;
    const container = p.docker.getContainer(victim.id);
    const victimAt = addressOf(await container.inspect());
    assert.ok((await routed()).includes(victimAt));

    const states = new Set<string>();
    const killedAt = Date.now();
    await container.kill();
    let unroutedAfter = -1;
    let downAndUnrouted = false;
    // Until it is back: the state API and the route table, every 20 ms.
    await eventually(async () => {
      const web1 = (await dynos()).find((d) => d.name === 'web.1');
      if (web1) states.add(web1.state);
      const backends = await routed();
      if (unroutedAfter < 0 && !backends.includes(victimAt)) unroutedAfter = Date.now() - killedAt;
      if (!backends.includes(victimAt) && backends.length < 2) downAndUnrouted = true;
      assert.equal(web1?.state, 'up');
      assert.equal(backends.length, 2);
    }, 20_000);
    const seen = await load.stop();

    t.diagnostic(`unrouted after ${unroutedAfter} ms; states seen: ${[...states].join(', ')}; back after ${Date.now() - killedAt} ms`);
    // Order, not time (how soon is in the diagnostic and the bench): it left the route table
    // while it was down, before its restarted self was routed.
    assert.ok(downAndUnrouted, `the killed dyno was unrouted while down (after ${unroutedAfter} ms)`);
    assert.ok([...states].some((s) => s === 'crashed' || s === 'restarting' || s === 'starting'), `states seen: ${[...states]}`);
    const info = await container.inspect();
    assert.equal(info.State.Running, true, 'the same container was started again');
    assert.ok((await routed()).includes(addressOf(info)), 'routed again at its address');
    assert.deepEqual(seen.failures, [], 'the other dyno took every request');
    assert.ok(seen.requests > 20);
  });

  test('a dyno whose process exits is restarted by Docker and routed again once healthy', async () => {
    const before = await routed();
    const load = startLoad(p.routerPort, `${app}.${p.config.domain}`);
    // The crash request goes straight to one dyno, not through the router.
    const victim = before[0];
    const [host, port] = victim.split(':');
    await new Promise<void>((resolve, reject) => http.get({ host, port: Number(port), path: '/crash' }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
    await eventually(async () => assert.ok(!(await routed()).includes(victim)), 20_000);
    await eventually(async () => assert.equal((await routed()).length, 2), 20_000);
    const seen = await load.stop();
    assert.deepEqual(seen.failures, []);
    const dynos = (await p.api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body;
    assert.deepEqual(dynos.map((d) => `${d.name} ${d.state}`), ['web.1 up', 'web.2 up']);
  });

  test('GET and POST load sees no failed request through a deploy, a scale down and a rolling restart', async (t) => {
    assert.equal((await p.api('PATCH', `/apps/${app}/formation/web`, { quantity: 2 })).status, 200);
    await eventually(async () => assert.equal((await routed()).length, 2), 20_000);
    // The bench's load generator, in its own process: 40 req/s over 4 keep-alive connections,
    // every 3rd request a POST (which the router never retries, so a lost one shows).
    const load = await startLoadProcess({ port: p.routerPort, host: `${app}.${p.config.domain}`, rate: 40, lanes: 4, timeoutMs: 30_000, postEvery: 3 });
    let phases: Awaited<ReturnType<typeof load.stats>>;
    try {
      load.send({ type: 'phase', name: 'changes' });
      const deployed = await push({ 'server.js': healthy('v-load') }, 'deploy under load');
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.equal((await p.api('PATCH', `/apps/${app}/formation/web`, { quantity: 1 })).status, 200);
      const restarted = await p.api<unknown>('DELETE', `/apps/${app}/dynos`);
      assert.equal(restarted.status, 200, JSON.stringify(restarted.body));
      load.send({ type: 'phase', name: 'after' });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      phases = await load.stats();
    }
    const { changes, after: settled } = phases;
    t.diagnostic(`${changes.requests} requests (${changes.posts} POST) in ${(changes.durationMs / 1000).toFixed(1)} s; bodies ${JSON.stringify(changes.bodies)}`);
    const failures = [...changes.failures, ...settled.failures];
    assert.deepEqual(failures, [], 'no failed request');
    assert.deepEqual({ ...changes.non2xx, ...changes.socketErrors, ...settled.non2xx, ...settled.socketErrors }, {});
    assert.equal(changes.ok, changes.requests);
    assert.ok(changes.posts >= 10, `${changes.posts} POSTs`);
    assert.ok((changes.bodies['v-load'] ?? 0) > 0, 'the new release answered during the changes');
    assert.deepEqual(Object.keys(settled.bodies), ['v-load'], 'only the new release answers at the end');
    const dynos = (await p.api<DynoJson[]>('GET', `/apps/${app}/dynos`)).body;
    assert.deepEqual(dynos.map((d) => `${d.name} ${d.state}`), ['web.1 up']);
  });
});
