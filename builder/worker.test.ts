// The builder as the controller sees it: jobs on the BullMQ queue, logs in a Redis stream.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Queue, QueueEvents } from 'bullmq';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import type { BuildJobData, BuildJobResult } from '../common/build.ts';
import { buildLogKey, buildQueueName } from '../common/redis-keys.ts';
import { requestBuildCancel } from '../common/build-cancel.ts';
import { startBuilder, type Builder } from './index.ts';
import * as t from './builder.test-support.ts';

const config = { ...t.builderTestConfig(), redisPrefix: t.uniqueName('paas-test') };
const docker = new Dockerode({ socketPath: config.dockerSocket });
const url = new URL(config.redisUrl);
const connection = { host: url.hostname, port: Number(url.port || 6379), password: decodeURIComponent(url.password) || undefined, maxRetriesPerRequest: null };
const redis = new Redis(connection);
const queue = new Queue<BuildJobData, BuildJobResult>(buildQueueName, { connection, prefix: config.redisPrefix });
const events = new QueueEvents(buildQueueName, { connection, prefix: config.redisPrefix });
const images: string[] = [];
const tars: string[] = [];
const jobs: BuildJobData[] = [];
let builder: Builder;

async function job(files: Record<string, string>, buildpacks: string[] = []): Promise<BuildJobData> {
  const sourceTar = await t.makeSourceTar(files, 'tar');
  tars.push(sourceTar);
  const buildId = t.uniqueName('b');
  const app = t.uniqueName('w');
  const image = `${config.registry}/${app}:build-${buildId}`;
  images.push(image);
  const data = { buildId, app, sourceTar, sourceVersion: 'v1', env: {}, buildpacks, image };
  jobs.push(data);
  return data;
}

async function logEntries(buildId: string): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(buildLogKey(config.redisPrefix, buildId), '-', '+');
  return entries.map(([, fields]) => Object.fromEntries([[fields[0], fields[1]]]));
}

before(async () => {
  await events.waitUntilReady();
  builder = await startBuilder({ config, docker, connection, concurrency: 1, log: () => {} });
});

after(async () => {
  await builder?.close();
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), events.close()]);
  const keys = await redis.keys(`${config.redisPrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  for (const image of images) await t.removeImage(docker, image);
  for (const tar of tars) await t.removeSourceTar(tar);
  for (const data of jobs) await fs.rm(path.join(config.dataDir, 'cache', 'build', data.app), { recursive: true, force: true });
});

test('a build job succeeds, returns the result and streams its log with an end marker', async () => {
  const data = await job({ Procfile: 'web: sleep 1000\nclock: sleep 5\n' });
  const added = await queue.add('build', data, { jobId: data.buildId, attempts: 3 });
  const result = (await added.waitUntilFinished(events, 120_000)) as BuildJobResult;
  assert.equal(result.image, data.image);
  assert.equal(result.buildpack, 'procfile');
  assert.deepEqual(result.processTypes, { web: 'sleep 1000', clock: 'sleep 5' });
  const log = await logEntries(data.buildId);
  assert.ok(log.some((e) => e.line === '-----> Procfile app detected'), JSON.stringify(log));
  assert.deepEqual(log.at(-1), { end: 'succeeded' });
  assert.ok((await redis.ttl(buildLogKey(config.redisPrefix, data.buildId))) > 0);
});

test('a user error fails the job once, without retries, and ends the log with "failed"', async () => {
  const data = await job({ 'README.md': 'nothing to build\n' });
  const added = await queue.add('build', data, { jobId: data.buildId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  await assert.rejects(added.waitUntilFinished(events, 60_000), /No default language could be detected/);
  const failed = await queue.getJob(data.buildId);
  assert.equal(failed?.attemptsMade, 1);
  const log = await logEntries(data.buildId);
  assert.ok(log.some((e) => e.line?.startsWith(' !     No default language')), JSON.stringify(log));
  assert.deepEqual(log.at(-1), { end: 'failed' });
});

test('a platform fault (registry down) is retried, and only the last attempt ends the log', async () => {
  const data = await job({ Procfile: 'web: sleep 1000\n' });
  data.image = `127.0.0.1:1/${data.app}:build-${data.buildId}`;
  images.push(data.image);
  const added = await queue.add('build', data, { jobId: data.buildId, attempts: 2, backoff: { type: 'fixed', delay: 100 } });
  await assert.rejects(added.waitUntilFinished(events, 120_000), /push/);
  assert.equal((await queue.getJob(data.buildId))?.attemptsMade, 2);
  const log = await logEntries(data.buildId);
  assert.equal(log.filter((e) => e.line === ' !     Retrying the build.').length, 1, JSON.stringify(log));
  assert.deepEqual(log.filter((e) => e.end !== undefined), [{ end: 'failed' }]);
});

test('a cancel request kills the running build: the job fails once, no container is left', async () => {
  const bp = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-slow-bp-'));
  tars.push(path.join(bp, 'x'));
  await fs.mkdir(path.join(bp, 'bin'));
  await fs.writeFile(path.join(bp, 'bin', 'detect'), '#!/bin/sh\necho Slow\n', { mode: 0o755 });
  await fs.writeFile(path.join(bp, 'bin', 'compile'), '#!/bin/sh\necho sleeping\nsleep 300\n', { mode: 0o755 });
  const data = await job({ 'a.txt': 'x' }, [bp]);
  const added = await queue.add('build', data, { jobId: data.buildId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  const deadline = Date.now() + 60_000;
  while (!(await logEntries(data.buildId)).some((e) => e.line === 'sleeping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await requestBuildCancel(redis, config.redisPrefix, data.buildId);
  await assert.rejects(added.waitUntilFinished(events, 30_000), /Build canceled/);
  assert.equal((await queue.getJob(data.buildId))?.attemptsMade, 1);
  assert.deepEqual(await t.buildContainers(docker, data.buildId), []);
  const log = await logEntries(data.buildId);
  assert.ok(log.some((e) => e.line === ' !     Build canceled.'), JSON.stringify(log));
  assert.deepEqual(log.at(-1), { end: 'failed' });
});
