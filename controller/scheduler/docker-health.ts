// Health of a web dyno: HTTP GET on its health check path, at its address on its app network.
import type Dockerode from 'dockerode';
import { UserBuildError } from '../../common/errors.ts';
import { APP_PORT, dynoAddress, type DynoAddress } from './docker-dyno.ts';
import { demuxDockerLog } from './docker-logs.ts';
import { probe, sleep } from './health.ts';
import type { DynoChecks } from './types.ts';

async function tailLogs(c: Dockerode.Container): Promise<string> {
  try {
    const buf = (await c.logs({ stdout: true, stderr: true, tail: 15, follow: false })) as unknown as Buffer;
    return demuxDockerLog(buf).trim();
  } catch {
    return '';
  }
}

/** Waits until the web dyno answers its health check path with a non-5xx status and returns
 *  the address it answered on; throws if it exits or the boot timeout passes. */
export async function waitHealthy(c: Dockerode.Container, name: string, checks: DynoChecks, log: (l: string) => void, restarted = false): Promise<DynoAddress> {
  const deadline = Date.now() + checks.bootTimeoutSec * 1000;
  let announced = false;
  let addr: DynoAddress | null = null;
  let inspectedAt = 0;
  for (;;) {
    // The app is probed often (a refused connection costs little) so a deploy learns it is up
    // soon after it listens; the engine is asked less often whether the dyno is still running.
    if (addr === null || Date.now() - inspectedAt >= INSPECT_EVERY_MS) {
      const info = await c.inspect();
      inspectedAt = Date.now();
      if (!info.State.Running || info.State.Restarting || (!restarted && info.RestartCount > 0)) {
        const logs = await tailLogs(c);
        throw new UserBuildError(`${name} exited during boot (status ${info.State.ExitCode})${logs ? `:\n${logs}` : ''}`);
      }
      addr = dynoAddress(info.HostConfig.NetworkMode, info.NetworkSettings.Networks);
    }
    if (addr !== null) {
      const status = await probe(addr.host, APP_PORT, checks.healthPath);
      if (status !== null && status < 500) return addr;
      if (status !== null && !announced) { log(`${name} answered ${status} on ${checks.healthPath}, waiting for a non-5xx answer`); announced = true; }
    }
    if (Date.now() > deadline) {
      const logs = await tailLogs(c);
      throw new UserBuildError(`${name} did not answer HTTP GET ${checks.healthPath} on $PORT with a non-5xx status within ${checks.bootTimeoutSec}s${logs ? `:\n${logs}` : ''}`);
    }
    await sleep(addr !== null ? PROBE_EVERY_MS : INSPECT_EVERY_MS / 2);
  }
}

const PROBE_EVERY_MS = 40;
const INSPECT_EVERY_MS = 300;
