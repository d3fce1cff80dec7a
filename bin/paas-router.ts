// paas-router: the data plane, as its own process tree apart from paasd. A supervisor (this
// process) keeps PAAS_ROUTER_WORKERS router workers running behind the HTTP/HTTPS listeners;
// they follow the route table and certificates the controller publishes in Redis and keep
// serving the last-known ones from memory (and from $PAAS_DATA_DIR/router/state.json after a
// restart) while Redis or paasd is away. paasd can crash, restart or be upgraded meanwhile.
//   SIGTERM / SIGINT  stop: workers finish the requests in flight (5 s at most)
//   SIGHUP            replace the workers one at a time (runs the code now on disk)
// kill -9 of this supervisor: its workers serve on; the next supervisor (paasd starts one, with
// PAAS_ROUTER_KEEPER=1) takes over from them (router/takeover.ts).
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../common/config.ts';
import { routerPidFile, runningRouterPid, serveRouter } from '../router/serve.ts';
import { errorMessage } from '../common/errors.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const pidFile = routerPidFile(config);
  const other = runningRouterPid(config);
  if (other !== null && other !== process.pid) throw new Error(`a router already runs (pid ${other}, ${pidFile})`);
  const router = await serveRouter(config);
  fs.mkdirSync(path.dirname(pidFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  console.log([
    `paas-router is running (pid ${process.pid}, ${router.workers()} worker(s))`,
    `  Apps:     http://<app>.${config.domain}:${router.port}/${router.httpsPort === null ? '' : `  https://<app>.${config.domain}:${router.httpsPort}/`}`,
    ...(router.adminPort === null ? [] : [`  Metrics:  http://${config.routerAdminBind.includes(':') ? `[${config.routerAdminBind}]` : config.routerAdminBind}:${router.adminPort}/metrics${config.metricsToken ? ' (Bearer token: PAAS_METRICS_TOKEN)' : ''}`]),
  ].join('\n'));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`paas-router: ${signal}, stopping`);
    await router.close();
    if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
    process.exit(0);
  };
  let restarting = false;
  process.on('SIGHUP', () => {
    if (restarting || stopping) return;
    restarting = true;
    console.log('paas-router: SIGHUP, replacing the workers one at a time');
    router.restartWorkers().then(() => console.log(`paas-router: workers replaced (${router.pids().join(', ')})`),
      (err: unknown) => console.error(`paas-router: worker restart failed: ${errorMessage(err)}`))
      .finally(() => { restarting = false; });
  });
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`paas-router: ${errorMessage(err)}`);
  process.exit(1);
});
