// Runs a build through the BullMQ queue, streams its log, then releases the result.
import fs from 'node:fs';
import path from 'node:path';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BuildJobData, BuildJobResult } from '../../common/build.ts';
import { requestBuildCancel } from '../../common/build-cancel.ts';
import { createBuildLogWriter, followBuildLog } from '../../common/build-log.ts';
import { checkBuildLimit } from './limits.ts';
import type { Config } from '../../common/config.ts';
import { BuildCanceledError, errorFromWire, errorMessage, NotFoundError, PaasError, UserBuildError } from '../../common/errors.ts';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import { listBuildpacks } from '../store/buildpacks.ts';
import { findBuild, finishBuild, insertBuild, listBuilds } from '../store/builds.ts';
import { appConfigVars } from '../store/configs.ts';
import type { Db } from '../store/db.ts';
import type { App, Build, Release, User } from '../store/types.ts';
import type { Deployer } from './deployer.ts';
import { imageRepo } from './dyno-spec.ts';
import { DEFAULT_KEEP_RELEASE_IMAGES, pruneReleaseImages } from './image-retention.ts';

export interface BuildRequest {
  app: App;
  user: User | null;
  /** Uncompressed tar of the source tree; the service takes ownership and deletes it. */
  sourceTar: string;
  sourceVersion: string | null;
  log: (line: string) => void;
}

export interface BuildService {
  list(app: App): Build[];
  /** The app's build with this id; 404 if the app has none such. */
  get(app: App, buildId: string): Build;
  /** Records a build that failed before it could start (e.g. its source is no tarball), with
   *  the reason as its output. */
  recordFailed(app: App, user: User | null, sourceVersion: string | null, reason: string): Build;
  /** Records the build (pending) at once and runs it behind the app's earlier builds. */
  start(req: BuildRequest): { build: Build; done: Promise<{ build: Build; release: Release }> };
  run(req: BuildRequest): Promise<{ build: Build; release: Release }>;
  logPath(buildId: string): string;
  /** Cancels a pending build: dropped from the queue, or its build container killed. */
  cancel(buildId: string): Promise<void>;
  /** Builds this controller has not finished, oldest first: building, or queued at `position` (1 = next). */
  queue(): Promise<QueuedBuild[]>;
  /** True until the build and the release that follows it are done (its log is complete). */
  active(buildId: string): boolean;
  /** Stops following builds' logs (the controller is shutting down); the builds are not
   *  canceled: a restarted controller marks them abandoned. */
  close(): void;
}

export interface QueuedBuild { buildId: string; app: string; state: 'queued' | 'building'; position: number | null }

export function createBuildService(deps: {
  db: Db; config: Config; redis: Redis; queue: Queue<BuildJobData, BuildJobResult>; queueEvents: QueueEvents;
  deployer: Deployer; buildLock: KeyedMutex;
  /** Release images kept per app in the registry (default 10); older ones are deleted. */
  keepReleaseImages?: number;
  /** A build's start and outcome for the app's log (`paas[build]` lines). */
  events?: (app: string, line: string) => void;
}): BuildService {
  const { db, config, redis, queue, queueEvents } = deps;
  /** Builds started here and not finished, in start order; aborting one cancels it locally. */
  const unfinished = new Map<string, { app: string; abort: AbortController }>();
  /** Aborted at close(): each build's log follower has its own Redis connection. */
  const closing = new AbortController();
  const logDir = path.join(config.dataDir, 'builds');
  const logPath = (id: string): string => path.join(logDir, `${id}.log`);

  async function run(req: BuildRequest, build: Build): Promise<{ build: Build; release: Release }> {
    const { app } = req;
    const event = (line: string): void => deps.events?.(app.name, line);
    event(`Build ${build.id} started by ${req.user?.email ?? 'paas'}${req.sourceVersion ? ` (${req.sourceVersion.slice(0, 7)})` : ''}`);
    fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
    // The log goes to the caller, to a file kept with the build, and (the controller's own lines;
    // the builder writes its own) to the build's Redis stream, which the API follows.
    const out = fs.createWriteStream(logPath(build.id), { mode: 0o600 });
    const stream = createBuildLogWriter(redis, config.redisPrefix, build.id);
    const relay = (line: string): void => { out.write(`${line}\n`); req.log(line); };
    const log = (line: string): void => { relay(line); stream.line(line); };
    const signal = unfinished.get(build.id)?.abort.signal;
    // A local cancel (the job was never queued, or was taken off the queue) ends the wait.
    const canceled = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(new BuildCanceledError());
      signal?.addEventListener('abort', () => reject(new BuildCanceledError()), { once: true });
    });
    canceled.catch(() => undefined);
    try {
      if (signal?.aborted) {
        const err = new BuildCanceledError();
        log(` !     ${err.message}`);
        throw err;
      }
      const data: BuildJobData = {
        buildId: build.id,
        app: app.name,
        sourceTar: req.sourceTar,
        sourceVersion: req.sourceVersion ?? '',
        env: appConfigVars(db, app.id),
        buildpacks: listBuildpacks(db, app.id),
        image: `${config.registry}/${imageRepo(app.name)}:build-${build.id}`,
      };
      const job = await queue.add('build', data, {
        jobId: build.id, attempts: 3, backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 },
      });
      const done = Promise.race([job.waitUntilFinished(queueEvents) as Promise<BuildJobResult>, canceled]);
      let settled = false;
      void done.finally(() => { settled = true; }).catch(() => undefined);
      await followBuildLog(redis, config.redisPrefix, build.id, { until: 'end', finished: () => settled, signal: closing.signal }, relay);
      let result: BuildJobResult;
      try {
        result = await done;
      } catch (caught) {
        // The builder's coded error (its id kept through BullMQ), or one of ours.
        const err = caught instanceof PaasError ? caught : errorFromWire(caught) ?? new UserBuildError(errorMessage(caught));
        if (signal?.aborted) log(` !     ${err.message}`);
        finishBuild(db, build.id, { status: 'failed', error: err.message });
        event(`Build ${build.id} failed: ${err.message.split('\n')[0]}`);
        throw err;
      }
      const finished = finishBuild(db, build.id, {
        status: 'succeeded', image: result.image, buildpack: result.buildpack, processTypes: result.processTypes, configVars: result.configVars,
      });
      event(`Build ${build.id} succeeded`);
      const short = req.sourceVersion ? req.sourceVersion.slice(0, 7) : build.id.slice(0, 8);
      const release = await deps.deployer.release({ app, build: finished, description: `Deploy ${short}`, user: req.user, log });
      await pruneReleaseImages({ db, registry: config.registry, registryAuth: config.registryAuth, app, keep: deps.keepReleaseImages ?? DEFAULT_KEEP_RELEASE_IMAGES, pending: [...unfinished.keys()] })
        .catch((err: unknown) => log(` !     Old release images were not cleaned up: ${errorMessage(err)}`));
      return { build: finished, release };
    } catch (err) {
      if (findBuild(db, build.id)?.status === 'pending') finishBuild(db, build.id, { status: 'failed', error: errorMessage(err) });
      throw err;
    } finally {
      out.end();
      await stream.done().catch(() => undefined);
      fs.rm(req.sourceTar, { force: true }, () => undefined);
    }
  }

  function start(req: BuildRequest): { build: Build; done: Promise<{ build: Build; release: Release }> } {
    checkBuildLimit(db, config, req.user);
    const build = insertBuild(db, req.app.id, req.user?.id ?? null, req.sourceVersion);
    fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(logPath(build.id), '', { mode: 0o600 });
    unfinished.set(build.id, { app: req.app.name, abort: new AbortController() });
    const done = deps.buildLock.run(req.app.name, () => run(req, build));
    void done.catch(() => undefined).finally(() => unfinished.delete(build.id));
    return { build, done };
  }

  async function cancel(buildId: string): Promise<void> {
    await requestBuildCancel(redis, config.redisPrefix, buildId);
    const job = await queue.getJob(buildId);
    const state = job ? await job.getState() : 'unknown';
    // Running in a worker: the worker kills its container and fails the job. Otherwise drop it here.
    if (state === 'active') return;
    if (job && state !== 'completed' && state !== 'failed') {
      const removed = await job.remove().then(() => true, () => false);
      if (!removed) return; // a worker took it meanwhile: it sees the cancel key
    }
    unfinished.get(buildId)?.abort.abort();
  }

  async function queueInfo(): Promise<QueuedBuild[]> {
    const out: QueuedBuild[] = [];
    let position = 0;
    for (const [buildId, { app }] of unfinished) {
      const job = await queue.getJob(buildId);
      const state = job ? await job.getState() : 'waiting';
      if (state === 'active' || state === 'completed') out.push({ buildId, app, state: 'building', position: null });
      else out.push({ buildId, app, state: 'queued', position: ++position });
    }
    return out;
  }

  return {
    list: (app) => listBuilds(db, app.id),
    get(app, buildId) {
      const build = findBuild(db, buildId);
      if (!build || build.app_id !== app.id) throw new NotFoundError(`Couldn't find build ${buildId}.`);
      return build;
    },
    recordFailed(app, user, sourceVersion, reason) {
      const failed = insertBuild(db, app.id, user?.id ?? null, sourceVersion);
      fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(logPath(failed.id), `-----> Building ${app.name} (build ${failed.id})\n !     ${reason}\n`, { mode: 0o600 });
      return finishBuild(db, failed.id, { status: 'failed', error: reason });
    },
    start,
    run: (req) => start(req).done,
    logPath,
    cancel,
    queue: queueInfo,
    active: (buildId) => unfinished.has(buildId),
    close: () => closing.abort(),
  };
}
