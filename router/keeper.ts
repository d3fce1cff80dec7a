// Keeps the router supervisor running: paasd (with PAAS_ROUTER_KEEPER=1, as bin/setup start
// runs it) checks the router's pid file every second and starts bin/paas-router.ts again when
// no live router is there, detached (it must outlive paasd), with back-off between attempts
// (1 s doubling to 30 s, reset once a router has stayed up a minute). Meanwhile the workers of
// a killed supervisor keep serving (takeover.ts) and the new one takes over from them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../common/config.ts';
import { runningRouterPid } from './serve.ts';

export interface RouterKeeperOptions {
  config: Config;
  /** Environment of a started router (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Appended with the started routers' output (default $PAAS_DATA_DIR/logs/router.log). */
  logFile?: string;
  log?: (line: string) => void;
  checkMs?: number;
}

export interface RouterKeeper {
  /** Routers this keeper started (their pids), oldest first. */
  started(): number[];
  stop(): void;
}

const script = fileURLToPath(new URL('../bin/paas-router.ts', import.meta.url));
const MAX_DELAY_MS = 30_000;

export function keepRouterRunning(opts: RouterKeeperOptions): RouterKeeper {
  const log = opts.log ?? ((line: string) => console.error(`paasd: ${line}`));
  const checkMs = opts.checkMs ?? 1000;
  const logFile = opts.logFile ?? path.join(opts.config.dataDir, 'logs', 'router.log');
  const started: number[] = [];
  let child: ChildProcess | null = null;
  let delayMs = 1000;
  let nextStart = 0;
  let upSince = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const starting = (): boolean => child !== null && child.exitCode === null && child.signalCode === null;

  const check = (): void => {
    if (stopped) return;
    const pid = runningRouterPid(opts.config);
    const now = Date.now();
    if (pid !== null) {
      upSince ||= now;
      if (now - upSince > 60_000) delayMs = 1000;
    } else if (!starting() && now >= nextStart) {
      upSince = 0;
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      const out = fs.openSync(logFile, 'a');
      try {
        child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], {
          detached: true, stdio: ['ignore', out, out], env: opts.env ?? process.env,
        });
      } finally {
        fs.closeSync(out);
      }
      child.unref();
      child.on('error', (err) => log(`router start failed: ${err.message}`));
      if (child.pid) started.push(child.pid);
      log(`the router is not running: started bin/paas-router.ts (pid ${child.pid}; log ${logFile})`);
      nextStart = now + delayMs;
      delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
    }
    timer = setTimeout(check, checkMs);
    timer.unref();
  };
  check();
  return {
    started: () => [...started],
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
