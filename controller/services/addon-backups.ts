// Backups: `pg_dump -Fc` (Redis: an RDB snapshot from `redis-cli --rdb`) in a job container on the
// add-on's network, written under the data dir, verified (`pg_restore --list` / `redis-check-rdb`
// reads it) and recorded with its size and SHA-256.
// Restores check the SHA-256 and the archive before they touch the database, then replace its
// contents in one transaction. Failures are recorded (state failed, the error) and announced.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, InvalidParamsError } from '../../common/errors.ts';
import type { Db } from '../store/db.ts';
import { failBackup, findBackup, finishBackup, insertBackup, type Addon, type Backup, type BackupKind } from '../store/addons.ts';
import { runJob, serverHost, type AddonDockerDeps } from './addon-docker.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const IN_JOB = '/backups';

export interface BackupDeps extends AddonDockerDeps {
  db: Db;
  dataDir: string;
  /** A line for the log stream of the apps the add-on is attached to. */
  announce: (addon: Addon, line: string) => void;
  timeoutMs?: number;
}

export const backupDir = (dataDir: string, addonId: string): string => path.join(dataDir, 'addons', 'backups', addonId);
export const backupFile = (dataDir: string, b: Backup): string => path.join(backupDir(dataDir, b.addon_id), `${b.name}.dump`);

/** libpq's environment for the add-on's own role and database. */
export function pgEnv(addon: Addon): string[] {
  const c = addon.credentials;
  return [`PGHOST=${serverHost(addon)}`, 'PGPORT=5432', `PGUSER=${c.user}`, `PGPASSWORD=${c.password}`, `PGDATABASE=${c.database}`];
}

/** The dump and its check, by service: Postgres `pg_dump -Fc` read back by `pg_restore --list`;
 *  Redis an RDB snapshot (`redis-cli --rdb`) read back by `redis-check-rdb`. "$1" is the file. */
function dumpJob(addon: Addon): { env: string[]; script: string; what: string } {
  return addon.service === 'heroku-postgresql'
    ? { env: pgEnv(addon), script: `${PG_BIN}/pg_dump -Fc -f "$1" && ${PG_BIN}/pg_restore --list "$1" >/dev/null`, what: 'pg_dump' }
    : {
      env: [`REDISCLI_AUTH=${addon.credentials.password}`, `REDIS_HOST=${serverHost(addon)}`],
      // The snapshot is a replica's full sync: without the server's wait for more replicas
      // (repl-diskless-sync-delay, 5 s by default) when it is allowed to change it.
      script: 'redis-cli -h "$REDIS_HOST" CONFIG SET repl-diskless-sync-delay 0 >/dev/null 2>&1;'
        + ' redis-cli -h "$REDIS_HOST" --rdb "$1" >/dev/null && redis-check-rdb "$1" >/dev/null',
      what: 'redis-cli --rdb',
    };
}

const tail = (output: string): string => output.trim().split('\n').slice(-5).join('\n') || 'no output';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Captures a backup; resolves with it whether it succeeded or failed (see its status). */
export async function captureBackup(deps: BackupDeps, addon: Addon, kind: BackupKind, expiresAt: string | null = null): Promise<Backup> {
  const backup = insertBackup(deps.db, addon.id, kind, expiresAt);
  const dir = backupDir(deps.dataDir, addon.id);
  const file = backupFile(deps.dataDir, backup);
  const partial = `${backup.name}.dump.partial`;
  const started = Date.now();
  try {
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const job = dumpJob(addon);
    const r = await runJob(deps, addon, {
      role: 'backup',
      // Root without capabilities: owns the (root's) backup directory and nothing else.
      user: '0:0',
      env: job.env,
      binds: [`${dir}:${IN_JOB}`],
      cmd: ['/bin/sh', '-c', job.script, 'backup', `${IN_JOB}/${partial}`],
      timeoutMs: deps.timeoutMs ?? 60 * 60_000,
    });
    if (r.exitCode !== 0) throw new Error(`${job.what} or its verification failed (exit ${r.exitCode}): ${tail(r.output)}`);
    await fs.promises.rename(path.join(dir, partial), file);
    const size = (await fs.promises.stat(file)).size;
    finishBackup(deps.db, backup.id, { status: 'succeeded', size, sha256: await sha256(file) });
    deps.announce(addon, `Backup ${backup.name} of ${addon.name} succeeded: ${size} bytes, verified, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    await fs.promises.rm(path.join(dir, partial), { force: true });
    finishBackup(deps.db, backup.id, { status: 'failed', error: errorMessage(err) });
    deps.announce(addon, `Backup ${backup.name} of ${addon.name} FAILED: ${errorMessage(err).split('\n')[0]}`);
  }
  return findBackup(deps.db, addon.id, backup.id) as Backup;
}

/** Throws (and marks the backup failed) unless its file is there with the recorded SHA-256. */
export async function checkBackupFile(deps: BackupDeps, source: Addon, backup: Backup): Promise<string> {
  if (backup.status !== 'succeeded') throw new InvalidParamsError(`Backup ${backup.name} of ${source.name} is ${backup.status}${backup.error ? `: ${backup.error}` : ''}; nothing was restored.`);
  const file = backupFile(deps.dataDir, backup);
  const problem = !fs.existsSync(file)
    ? 'its file is missing'
    : (await sha256(file)) !== backup.sha256 ? 'its file is damaged (SHA-256 differs from the one recorded at capture)' : null;
  if (problem) {
    failBackup(deps.db, backup.id, `verification failed: ${problem}`);
    deps.announce(source, `Backup ${backup.name} of ${source.name} FAILED verification: ${problem}`);
    throw new InvalidParamsError(`Backup ${backup.name} of ${source.name} failed verification: ${problem}; nothing was restored.`);
  }
  return file;
}

/** Replaces the target database's contents with the backup, all or nothing: the objects its role
 *  owns are dropped and the archive restored in one transaction that commits only if pg_restore
 *  read the whole archive. */
export async function restoreBackup(deps: BackupDeps, target: Addon, source: Addon, backup: Backup): Promise<void> {
  const file = await checkBackupFile(deps, source, backup);
  const script = [
    'set -o pipefail',
    `${PG_BIN}/pg_restore --list "$1" >/dev/null || exit 3`,
    `{ echo 'BEGIN;'; echo 'DROP OWNED BY CURRENT_USER;'; echo 'CREATE SCHEMA IF NOT EXISTS public;';`
      + ` ${PG_BIN}/pg_restore --no-owner --no-privileges -f - "$1" && echo 'COMMIT;'; }`
      + ` | ${PG_BIN}/psql -X -q -v ON_ERROR_STOP=1 >/dev/null`,
  ].join('\n');
  const r = await runJob(deps, target, {
    role: 'restore',
    env: pgEnv(target),
    binds: [`${file}:${IN_JOB}/restore.dump:ro`],
    cmd: ['/bin/bash', '-c', script, 'restore', `${IN_JOB}/restore.dump`],
    timeoutMs: deps.timeoutMs ?? 60 * 60_000,
  });
  if (r.exitCode === 3) {
    failBackup(deps.db, backup.id, `verification failed: pg_restore cannot read it: ${tail(r.output)}`);
    deps.announce(source, `Backup ${backup.name} of ${source.name} FAILED verification: pg_restore cannot read it`);
    throw new InvalidParamsError(`Backup ${backup.name} of ${source.name} failed verification (pg_restore cannot read it); nothing was restored.`);
  }
  if (r.exitCode !== 0) {
    deps.announce(target, `Restore of ${backup.name} into ${target.name} FAILED, the database is unchanged: ${tail(r.output).split('\n')[0]}`);
    throw new Error(`Restore of ${backup.name} into ${target.name} failed (exit ${r.exitCode}), the database is unchanged: ${tail(r.output)}`);
  }
  deps.announce(target, `Restored ${source.name} ${backup.name} into ${target.name}`);
}

export async function removeBackupFile(dataDir: string, backup: Backup): Promise<void> {
  await fs.promises.rm(backupFile(dataDir, backup), { force: true });
}
