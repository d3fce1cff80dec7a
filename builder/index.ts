// The builder component: a BullMQ worker on the build queue. Each job runs one build
// (runBuild) and streams its log to Redis. App faults fail the job for good
// (UnrecoverableError); platform faults throw plain errors, retried as the producer configured.
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type Dockerode from 'dockerode';
import { Redis, type RedisOptions } from 'ioredis';
import type { BuildJobData, BuildJobResult } from '../common/build.ts';
import { createBuildLogWriter } from '../common/build-log.ts';
import { buildCancelChannel, buildCancelKey, buildQueueName } from '../common/redis-keys.ts';
import type { Config } from '../common/config.ts';
import { BuildCanceledError, UserBuildError, errorMessage, errorToWire } from '../common/errors.ts';
import { runBuild, type BuildDeps } from './run-build.ts';
import { ensureStackImages, stackImages } from './stack.ts';

export { runBuild, type BuildDeps } from './run-build.ts';
export { ensureStackImages, stackImages } from './stack.ts';
export { ensureBusyboxImage } from './busybox-image.ts';

export interface StartBuilderOptions {
  config: Config;
  docker: Dockerode;
  /** For BullMQ (maxRetriesPerRequest: null) and the log streams. */
  connection: RedisOptions | Redis;
  /** Parallel builds (default config.buildConcurrency). */
  concurrency?: number;
  /** Passed to runBuild: time limit, memory limit, buildpacks dir. */
  build?: Omit<BuildDeps, 'config' | 'docker'>;
  /** Make the stack images first if they are missing (default true; ~80 s the first time). */
  ensureStack?: boolean;
  /** The builder's own messages (default console.log). */
  log?: (line: string) => void;
}

export interface Builder {
  close(): Promise<void>;
}

export async function startBuilder(opts: StartBuilderOptions): Promise<Builder> {
  const { config } = opts;
  const say = opts.log ?? ((line: string) => console.log(line));
  if (opts.ensureStack ?? true) {
    const workDir = path.join(config.dataDir, 'stack');
    await ensureStackImages({ docker: opts.docker, images: stackImages(config), workDir, log: say });
  }
  const redis = opts.connection instanceof Redis ? opts.connection.duplicate() : new Redis({ ...opts.connection, maxRetriesPerRequest: null });
  // Builds trust what this process was told to trust (TLS-intercepting proxies), unless set.
  const extraCaFile = opts.build?.extraCaFile ?? process.env.NODE_EXTRA_CA_CERTS;
  const deps: BuildDeps = { ...opts.build, extraCaFile, config, docker: opts.docker };

  // Cancellation: the controller publishes the build id; the running build's signal aborts.
  const running = new Map<string, AbortController>();
  const subscriber = redis.duplicate();
  subscriber.on('message', (_channel: string, buildId: string) => running.get(buildId)?.abort(new BuildCanceledError()));
  subscriber.on('error', (err: Error) => say(`builder: ${errorMessage(err)}`));
  await subscriber.subscribe(buildCancelChannel(config.redisPrefix));

  const processor = async (job: Job<BuildJobData, BuildJobResult>): Promise<BuildJobResult> => {
    const log = createBuildLogWriter(redis, config.redisPrefix, job.data.buildId);
    const cancel = new AbortController();
    running.set(job.data.buildId, cancel);
    try {
      if (await redis.exists(buildCancelKey(config.redisPrefix, job.data.buildId))) throw new BuildCanceledError();
      const result = await runBuild(deps, job.data, (line) => log.line(line), cancel.signal);
      await log.end('succeeded');
      return result;
    } catch (caught) {
      // Whatever failed after a cancel request failed because of it.
      const err = cancel.signal.aborted ? new BuildCanceledError() : caught;
      const user = err instanceof UserBuildError;
      const final = user || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.line(` !     ${user ? errorMessage(err) : `Build error: ${errorMessage(err)}`}`);
      if (final) {
        log.line(` !     Push rejected, failed to build ${job.data.app}.`);
        await log.end('failed').catch(() => {});
      } else {
        log.line(' !     Retrying the build.');
        await log.flush().catch(() => {});
      }
      throw user ? new UnrecoverableError(errorToWire(err)) : err;
    } finally {
      running.delete(job.data.buildId);
    }
  };

  const worker = new Worker<BuildJobData, BuildJobResult>(buildQueueName, processor, {
    connection: opts.connection,
    prefix: config.redisPrefix,
    concurrency: opts.concurrency ?? config.buildConcurrency,
  });
  worker.on('error', (err) => say(`builder: ${errorMessage(err)}`));
  await worker.waitUntilReady();

  return {
    async close() {
      await worker.close();
      subscriber.disconnect();
      await redis.quit().catch(() => {});
    },
  };
}
