// Disk nearly full: builds are refused before they start, by git push and by the builds API,
// with a message that says why; nothing is recorded or written. (The threshold stands in for a
// full disk: PAAS_MIN_FREE_DISK_MB above what the test machine has free.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import request from 'supertest';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';
import { commitFiles, run, tempDir, userEnv } from '../../test/helpers/git.ts';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler } from '../scheduler/memory-scheduler.ts';

const config = testConfig({ minFreeDiskMb: 1024 * 1024 * 1024 });
let ctl: ControllerHandle;
let auth: string;
const home = tempDir('paas-disk-home-');

before(async () => {
  ctl = await startController({ config, docker: new Dockerode(), scheduler: createMemoryScheduler(), log: () => undefined });
  config.apiUrl = ctl.url;
  auth = `Bearer ${readAdminToken(config)}`;
  await request(ctl.server).post('/apps').set('authorization', auth).send({ name: 'full' }).expect(201);
  fs.writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1 login x password ${readAdminToken(config)}\n`, { mode: 0o600 });
});
after(async () => {
  await ctl.close();
  removeDataDir(config);
  fs.rmSync(home, { recursive: true, force: true });
});

test('a build by URL on a nearly full disk is refused with 507 and the free space; no build is recorded', async () => {
  const res = await request(ctl.server).post('/apps/full/builds').set('authorization', auth)
    .send({ source_blob: { url: 'http://127.0.0.1:9/never-fetched.tgz' } }).expect(507);
  assert.equal(res.body.id, 'insufficient_storage');
  assert.match(res.body.message, /^Build refused: only \d+ MB free on the disk of .+ \(at least \d+ MB are kept free, PAAS_MIN_FREE_DISK_MB\)/);
  const builds = await request(ctl.server).get('/apps/full/builds').set('authorization', auth).expect(200);
  assert.deepEqual(builds.body, []);
});

test('a git push on a nearly full disk is rejected with the reason as a remote line; nothing is written', async () => {
  const env = userEnv(home);
  const dir = tempDir('paas-disk-src-');
  await commitFiles(dir, { 'server.js': '// app\n' }, 'v1', env);
  const push = await run('git', ['push', `${ctl.url}/full.git`, 'master'], { cwd: dir, env });
  assert.notEqual(push.code, 0);
  assert.match(push.stderr, /remote: +! +Build refused: only \d+ MB free on the disk of /);
  assert.match(push.stderr, /pre-receive hook declined/);
  const sources = path.join(config.dataDir, 'sources');
  assert.deepEqual(fs.existsSync(sources) ? fs.readdirSync(sources) : [], []);
  fs.rmSync(dir, { recursive: true, force: true });
});
