// paasd: the platform in one foreground process — controller (API + git), builder, router.
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { startBuilder } from '../builder/index.ts';
import { loadConfig } from '../common/config.ts';
import { startController } from '../controller/index.ts';
import { serveRouter } from '../router/serve.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  await docker.ping();
  const controller = await startController({ config, docker });
  const builder = await startBuilder({
    config, docker, connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), concurrency: config.buildConcurrency,
  });
  const router = await serveRouter(config);

  const tokenFile = path.join(config.dataDir, 'admin.token');
  console.log([
    `paas is running`,
    `  API and git:  ${controller.url}${config.apiBind === '127.0.0.1' ? '' : ` (bound to ${config.apiBind})`}`,
    `  Apps:         http://<app>.${config.domain}:${router.port}/${router.httpsPort === null ? '' : `  https://<app>.${config.domain}:${router.httpsPort}/`}`,
    `  Router:       ${router.workers} process(es)${router.adminPort === null ? '' : `, metrics at http://127.0.0.1:${router.adminPort}/metrics`}`,
    `  Data:         ${config.dataDir}`,
    fs.existsSync(tokenFile)
      ? `  Log in:       bin/paas login --api ${config.apiUrl} --token "$(cat ${tokenFile})"`
      : `  Log in:       bin/paas login --api ${config.apiUrl} --token <your API token>`,
    `  Then:         bin/paas apps:create hello && git push <git_url> master`,
  ].join('\n'));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`paasd: ${signal}, shutting down (app containers keep running)`);
    await Promise.allSettled([router.close(), builder.close(), controller.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`paasd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
