// Runs a build through the BullMQ queue, streams its log, then releases the result.
import fs from 'node:fs';
import path from 'node:path';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { buildLogKey, type BuildJobData, type BuildJobResult } from '../../common/build.ts';
import type { Config } from '../../common/config.ts';
import { errorMessage, UserBuildError } from '../../common/errors.ts';
import type { KeyedMutex } from '../../common/keyed-mutex.ts';
import { findBuild, finishBuild, insertBuild } from '../store/builds.ts';
import type { Db } from '../store/db.ts';
import type { App, Build, Release, User } from '../store/types.ts';
import { imageRepo, type Deployer } from './deployer.ts';

export interface BuildRequest {
  app: App;
  user: User | null;
  /** Uncompressed tar of the source tree; the service takes ownership and deletes it. */
  sourceTar: string;
  sourceVersion: string | null;
  log: (line: string) => void;
}

export interface BuildService {
  run(req: BuildRequest): Promise<{ build: Build; release: Release }>;
  logPath(buildId: string): string;
}

export function createBuildService(deps: {
  db: Db; config: Config; redis: Redis; queue: Queue<BuildJobData, BuildJobResult>; queueEvents: QueueEvents;
  deployer: Deployer; buildLock: KeyedMutex;
}): BuildService {
  const { db, config, redis, queue, queueEvents } = deps;
  const logDir = path.join(config.dataDir, 'builds');
  const logPath = (id: string): string => path.join(logDir, `${id}.log`);

  /** Follows the builder's log stream until its end marker, or until `done` settles and the stream is drained. */
  async function follow(buildId: string, done: Promise<unknown>, emit: (line: string) => void): Promise<void> {
    const reader = redis.duplicate();
    let finished = false;
    void done.finally(() => { finished = true; }).catch(() => undefined);
    let last = '0-0';
    try {
      for (;;) {
        const res = await reader.xread('COUNT', 500, 'BLOCK', 500, 'STREAMS', buildLogKey(config.redisPrefix, buildId), last);
        const entries = res?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          last = id;
          for (let i = 0; i + 1 < fields.length; i += 2) {
            if (fields[i] === 'line') emit(fields[i + 1]);
            if (fields[i] === 'end') return;
          }
        }
        if (entries.length === 0 && finished) return;
      }
    } finally {
      reader.disconnect();
    }
  }

  async function run(req: BuildRequest): Promise<{ build: Build; release: Release }> {
    const { app } = req;
    const build = insertBuild(db, app.id, req.user?.id ?? null, req.sourceVersion);
    fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const out = fs.createWriteStream(logPath(build.id), { mode: 0o600 });
    const log = (line: string): void => { out.write(`${line}\n`); req.log(line); };
    try {
      const data: BuildJobData = {
        buildId: build.id,
        app: app.name,
        sourceTar: req.sourceTar,
        sourceVersion: req.sourceVersion ?? '',
        env: app.config,
        buildpacks: [],
        image: `${config.registry}/${imageRepo(app.name)}:build-${build.id}`,
      };
      const job = await queue.add('build', data, {
        jobId: build.id, attempts: 3, backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 },
      });
      const done = job.waitUntilFinished(queueEvents) as Promise<BuildJobResult>;
      await follow(build.id, done, log);
      let result: BuildJobResult;
      try {
        result = await done;
      } catch (err) {
        finishBuild(db, build.id, { status: 'failed', error: errorMessage(err) });
        throw new UserBuildError(errorMessage(err));
      }
      const finished = finishBuild(db, build.id, {
        status: 'succeeded', image: result.image, buildpack: result.buildpack, processTypes: result.processTypes,
      });
      const env = { ...result.configVars, ...app.config };
      const short = req.sourceVersion ? req.sourceVersion.slice(0, 7) : build.id.slice(0, 8);
      const release = await deps.deployer.release({ app, build: finished, config: env, description: `Deploy ${short}`, user: req.user, log });
      return { build: finished, release };
    } catch (err) {
      if (findBuild(db, build.id)?.status === 'pending') finishBuild(db, build.id, { status: 'failed', error: errorMessage(err) });
      throw err;
    } finally {
      out.end();
      fs.rm(req.sourceTar, { force: true }, () => undefined);
    }
  }

  return {
    run: (req) => deps.buildLock.run(req.app.name, () => run(req)),
    logPath,
  };
}
