// Restoring an RDB backup into a Redis add-on, all or nothing. The file's SHA-256 is checked,
// then a temporary Redis server in a job container on the add-on's network checks the RDB
// (redis-check-rdb) and loads it; the add-on's server becomes its replica for one full sync
// (Redis keeps its old data until the whole new dataset has arrived, then swaps it in at once,
// and with AOF on rewrites its AOF from the new data), their key counts are compared, and the
// server is a master again. A restore cut short by a controller crash is undone at start
// (recoverRedisRestore: the server stops being a replica).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidParamsError } from '../../common/errors.ts';
import { failBackup, type Addon, type Backup } from '../store/addons.ts';
import { checkBackupFile, type BackupDeps } from './addon-backups.ts';
import { createJob, execIn, execInContainer, networkName, type AddonDockerDeps } from './addon-docker.ts';

const IN_JOB = '/restore/backup.rdb';
/** Exit status of the temporary server's script when redis-check-rdb refuses the file. */
const BAD_RDB = 3;
const tail = (output: string): string => output.trim().split('\n').slice(-5).join('\n') || 'no output';

/** redis-cli in the add-on's own server (over its loopback), as the add-on's user. */
async function serverCli(deps: AddonDockerDeps, addon: Addon, args: string[]): Promise<string> {
  const r = await execIn(deps, addon, ['redis-cli', '-h', '127.0.0.1', ...args], [`REDISCLI_AUTH=${addon.credentials.password}`]);
  if (r.exitCode !== 0 || /^(ERR|NOAUTH|WRONGPASS|NOPERM)/m.test(r.output)) throw new Error(`redis-cli ${args[0]} failed: ${r.output.trim()}`);
  return r.output;
}

const field = (info: string, name: string): string | null => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1] ?? null;
/** Keys in every database, from INFO keyspace. */
const keyCount = (info: string): number => [...info.matchAll(/^db\d+:keys=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
    await delay(100);
  }
}

export async function restoreRedis(deps: BackupDeps, target: Addon, source: Addon, backup: Backup): Promise<void> {
  const file = await checkBackupFile(deps, source, backup);
  const timeoutMs = deps.timeoutMs ?? 60 * 60_000;
  const password = randomBytes(24).toString('hex');
  const script = [
    `redis-check-rdb "$1" >/tmp/check.log 2>&1 || { tail -n 5 /tmp/check.log; exit ${BAD_RDB}; }`,
    'mkdir -p /tmp/r && cp "$1" /tmp/r/dump.rdb',
    // Debug commands from its own loopback only: the replication id is changed below.
    'exec redis-server --dir /tmp/r --dbfilename dump.rdb --appendonly no --save "" --port 6379 --bind "*" --protected-mode no'
      + ' --requirepass "$RESTORE_PASSWORD" --enable-debug-command local --repl-diskless-sync-delay 0',
  ].join('\n');
  const job = await createJob(deps, target, {
    role: 'restore', env: [`RESTORE_PASSWORD=${password}`], binds: [`${file}:${IN_JOB}:ro`],
    cmd: ['/bin/sh', '-c', script, 'restore', IN_JOB],
  });
  const temp = (args: string[]) => execInContainer(deps, job.id, ['redis-cli', '-h', '127.0.0.1', ...args], [`REDISCLI_AUTH=${password}`]);
  let replicating = false;
  let synced = false;
  try {
    await job.start();
    await until('the temporary server loading the backup', timeoutMs, async () => {
      const state = (await job.inspect()).State;
      if (!state.Running) {
        // eslint-disable-next-line no-control-regex -- the log stream's frame headers
        const logs = String(await job.logs({ stdout: true, stderr: true })).replace(/[\x00-\x08\x0e-\x1f]/g, '');
        if (state.ExitCode === BAD_RDB) {
          failBackup(deps.db, backup.id, `verification failed: redis-check-rdb cannot read it: ${tail(logs)}`);
          deps.announce(source, `Backup ${backup.name} of ${source.name} FAILED verification: redis-check-rdb cannot read it`);
          throw new InvalidParamsError(`Backup ${backup.name} of ${source.name} failed verification (redis-check-rdb cannot read it); nothing was restored.`);
        }
        throw new Error(`the temporary server exited (${state.ExitCode}): ${tail(logs)}`);
      }
      // (It may exit between the inspect and this: the next round sees why.)
      return (await temp(['ping']).catch(() => ({ output: '' }))).output.includes('PONG');
    });
    // Its replication id came with the RDB (the add-on's own, at capture time): a new one, so
    // that the add-on's server cannot "continue" a partial sync and keep its current data.
    if ((await temp(['debug', 'change-repl-id'])).output.trim() !== 'OK') throw new Error('the temporary server refused a new replication id');
    const expected = keyCount((await temp(['info', 'keyspace'])).output);
    const ip = ((await job.inspect()).NetworkSettings.Networks[networkName(deps.label, target)] as { IPAddress?: string } | undefined)?.IPAddress;
    if (!ip) throw new Error('the temporary server has no address on the add-on network');

    await serverCli(deps, target, ['config', 'set', 'masterauth', password]);
    replicating = true;
    await serverCli(deps, target, ['replicaof', ip, '6379']);
    await until('the full sync from the backup', timeoutMs, async () => {
      const info = await serverCli(deps, target, ['info', 'replication']);
      return field(info, 'master_link_status') === 'up' && field(info, 'master_sync_in_progress') === '0';
    });
    synced = true;
    // Keys with a TTL may expire meanwhile on the temporary server (and their DELs follow).
    await until('the restored key count to match the backup', 10_000, async () => {
      const [got, want] = [keyCount(await serverCli(deps, target, ['info', 'keyspace'])), keyCount((await temp(['info', 'keyspace'])).output)];
      return got === want || got === expected;
    });
    await serverCli(deps, target, ['replicaof', 'no', 'one']);
    await serverCli(deps, target, ['config', 'set', 'masterauth', '']);
    replicating = false;
    // The AOF is rewritten from the restored data (else a restart would bring the old back).
    await until('the AOF rewrite after the restore', timeoutMs, async () => {
      const info = await serverCli(deps, target, ['info', 'persistence']);
      return field(info, 'aof_rewrite_in_progress') === '0' && field(info, 'aof_rewrite_scheduled') === '0';
    });
    const status = field(await serverCli(deps, target, ['info', 'persistence']), 'aof_last_bgrewrite_status');
    if (status !== 'ok') throw new Error(`the data was restored, but rewriting the AOF failed (${status}): run BGREWRITEAOF before restarting the server`);
  } catch (err) {
    if (!(err instanceof InvalidParamsError)) {
      deps.announce(target, `Restore of ${backup.name} into ${target.name} FAILED${synced ? '' : ', the data is unchanged'}: ${(err as Error).message.split('\n')[0]}`);
    }
    throw err instanceof InvalidParamsError ? err
      : new Error(`Restore of ${backup.name} into ${target.name} failed${synced ? '' : ', the data is unchanged'}: ${(err as Error).message}`);
  } finally {
    if (replicating) await stopReplicating(deps, target).catch(() => undefined);
    await job.remove({ force: true }).catch(() => undefined);
  }
  deps.announce(target, `Restored ${source.name} ${backup.name} into ${target.name}`);
}

async function stopReplicating(deps: AddonDockerDeps, addon: Addon): Promise<void> {
  await serverCli(deps, addon, ['replicaof', 'no', 'one']);
  await serverCli(deps, addon, ['config', 'set', 'masterauth', '']);
}

/** A server left a replica by a restore the controller did not finish becomes a master again
 *  (its data: the old, or the restored if the sync had ended). True if it was one. */
export async function recoverRedisRestore(deps: AddonDockerDeps, addon: Addon): Promise<boolean> {
  if (field(await serverCli(deps, addon, ['info', 'replication']), 'role') !== 'slave') return false;
  await stopReplicating(deps, addon);
  return true;
}
