// What users do with a running add-on: pg:info / redis:info, pg:psql and redis:cli (a client in
// a job container on the add-on's network), credential rotation, backups (capture, restore,
// download, daily schedules and their retention).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { errorMessage, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { attachmentVar } from '../../common/addon-catalog.ts';
import {
  deleteAddon, deleteBackup, deleteSchedule, findAddon, findBackup, getSchedule, listAddons, listAttachments, listBackups, listGoneAddons,
  listSchedules, markScheduleRun, setAddonCredentials, setSchedule, failAbandonedBackups, type Addon, type Backup, type BackupSchedule,
} from '../store/addons.ts';
import { findApp } from '../store/apps.ts';
import type { User } from '../store/types.ts';
import { expiredScheduled, isDue, parseScheduleAt } from './addon-backup-schedule.ts';
import { backupFile, captureBackup, checkBackupFile, pgEnv, removeBackupFile, restoreBackup } from './addon-backups.ts';
import { recoverRedisRestore, restoreRedis } from './addon-redis-restore.ts';
import { execIn, runJob, serverHost, serverState } from './addon-docker.ts';
import { addonUrl, type AddonCore, type AddonDeps } from './addons.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const CLIENT_TIMEOUT_MS = 5 * 60_000;

export interface ClientResult { exit_code: number; output: string }

const requirePg = (addon: Addon): void => {
  if (addon.service !== 'heroku-postgresql') throw new InvalidParamsError(`${addon.name} is not a Postgres add-on.`);
};
const requireRedis = (addon: Addon): void => {
  if (addon.service !== 'heroku-redis') throw new InvalidParamsError(`${addon.name} is not a Redis add-on.`);
};

export function createAddonOps(deps: AddonDeps, core: AddonCore) {
  const { db } = deps;
  const { backupDeps, lock } = core;

  /** `name::b001` names a backup of another add-on (one the user may see, or a destroyed one of
   *  theirs whose final backup is still kept); a bare `b001` one of this add-on; none: the latest. */
  function resolveBackup(user: User, addon: Addon, ref: string | undefined): { source: Addon; backup: Backup } {
    let source = addon;
    let name = ref;
    if (ref?.includes('::')) {
      const [addonName, backupName] = ref.split('::');
      const gone = findAddon(db, addonName, true);
      source = gone && gone.state === 'deprovisioned' && gone.owner_id === user.id ? gone : core.find(user, addonName);
      name = backupName;
    }
    if (source.service !== addon.service) throw new InvalidParamsError(`${source.name} is not the same kind of add-on as ${addon.name}: its backups cannot be restored there.`);
    const backups = listBackups(db, source.id).filter((b) => b.status === 'succeeded');
    const backup = name ? findBackup(db, source.id, name) : backups.at(-1) ?? null;
    if (!backup) throw new NotFoundError(name ? `Couldn't find backup ${name} of ${source.name}.` : `${source.name} has no successful backup.`);
    return { source, backup };
  }

  async function runScheduled(now = new Date()): Promise<void> {
    for (const s of listSchedules(db)) {
      const addon = findAddon(db, s.addon_id);
      if (!addon || addon.state !== 'provisioned' || !isDue(now, s.at, s.last_run_at ?? s.created_at)) continue;
      markScheduleRun(db, s.addon_id, now.toISOString());
      await lock.run(addon.id, () => captureBackup(backupDeps, addon, 'scheduled'));
    }
  }

  /** Drops expired final backups, scheduled ones beyond retention, and destroyed add-ons whose
   *  backups are all gone. */
  async function prune(now = new Date()): Promise<void> {
    const drop = async (b: Backup): Promise<void> => { await removeBackupFile(deps.dataDir, b); deleteBackup(db, b.id); };
    for (const gone of listGoneAddons(db)) {
      for (const b of listBackups(db, gone.id)) if (!b.expires_at || Date.parse(b.expires_at) <= now.getTime()) await drop(b);
      if (listBackups(db, gone.id).length === 0) deleteAddon(db, gone.id);
    }
    for (const s of listSchedules(db)) for (const b of expiredScheduled(listBackups(db, s.addon_id), now)) await drop(b);
  }

  async function pgQuery(addon: Addon, sql: string): Promise<string[]> {
    const r = await execIn(core.docker, addon, [`${PG_BIN}/psql`, '-X', '-At', '-F', '|', '-h', '/tmp', '-U', 'postgres', '-d', addon.credentials.database, '-c', sql]);
    if (r.exitCode !== 0) throw new Error(`psql failed: ${r.output.trim()}`);
    return r.output.trim().split('|');
  }

  return {
    async info(user: User, idOrName: string): Promise<Record<string, unknown>> {
      const addon = core.find(user, idOrName);
      const server = await serverState(core.docker, addon);
      const base = { name: addon.name, plan: addon.plan, state: addon.state, server, created_at: addon.created_at };
      if (server !== 'up') return base;
      try {
        if (addon.service === 'heroku-postgresql') {
          const name = addon.credentials.database;
          const [version, size, connections, tables] = await pgQuery(addon,
            `SELECT current_setting('server_version'), pg_database_size('${name}'), (SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}'),`
            + ` (SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))`);
          return { ...base, pg_version: version, data_size: Number(size), connections: Number(connections), tables: Number(tables), backups: listBackups(db, addon.id).filter((b) => b.status === 'succeeded').length };
        }
        const r = await execIn(core.docker, addon, ['redis-cli', '-h', '127.0.0.1', 'info'], [`REDISCLI_AUTH=${addon.credentials.password}`]);
        const fields = Object.fromEntries(r.output.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':', 2)));
        return { ...base, redis_version: fields.redis_version, used_memory: Number(fields.used_memory), connected_clients: Number(fields.connected_clients), aof_enabled: fields.aof_enabled === '1', keys: (r.output.match(/keys=(\d+)/) ?? [])[1] ?? '0' };
      } catch (err) {
        return { ...base, error: errorMessage(err) };
      }
    },

    /** psql with -c (command) or a script on stdin, as the add-on's own role. */
    async psql(user: User, idOrName: string, body: { command?: unknown; script?: unknown }): Promise<ClientResult> {
      const addon = core.find(user, idOrName);
      requirePg(addon);
      const command = typeof body.command === 'string' && body.command.trim() ? body.command : null;
      if (command === null && typeof body.script !== 'string') throw new InvalidParamsError('Give "command" (SQL to run) or "script" (psql input).');
      const psql = [`${PG_BIN}/psql`, '-X', '-v', 'ON_ERROR_STOP=1'];
      const r = await runJob(core.docker, addon, {
        role: 'psql', env: pgEnv(addon), cmd: command === null ? psql : [...psql, '-c', command],
        stdin: command === null ? String(body.script) : undefined, timeoutMs: CLIENT_TIMEOUT_MS,
      });
      return { exit_code: r.exitCode, output: r.output };
    },

    async redisCli(user: User, idOrName: string, body: { args?: unknown; script?: unknown }): Promise<ClientResult> {
      const addon = core.find(user, idOrName);
      requireRedis(addon);
      const args = Array.isArray(body.args) && body.args.every((a) => typeof a === 'string') ? body.args as string[] : [];
      if (args.length === 0 && typeof body.script !== 'string') throw new InvalidParamsError('Give "args" (a command) or "script" (commands, one a line).');
      const r = await runJob(core.docker, addon, {
        role: 'redis-cli', env: [`REDISCLI_AUTH=${addon.credentials.password}`], cmd: ['redis-cli', '-h', serverHost(addon), ...args],
        stdin: args.length === 0 ? String(body.script) : undefined, timeoutMs: CLIENT_TIMEOUT_MS,
      });
      return { exit_code: r.exitCode, output: r.output };
    },

    /** New password; existing sessions end; every attachment's URL changes (a release each). */
    async rotate(user: User, idOrName: string): Promise<Addon> {
      const addon = core.owned(user, idOrName);
      return lock.run(addon.id, async () => {
        const password = randomBytes(24).toString('hex');
        const c = addon.credentials;
        const r = addon.service === 'heroku-postgresql'
          ? await execIn(core.docker, addon, [`${PG_BIN}/psql`, '-X', '-q', '-h', '/tmp', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
            '-c', `ALTER ROLE "${c.user}" PASSWORD '${password}'`, '-c', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${c.user}'`])
          : await execIn(core.docker, addon, ['sh', '-c', 'redis-cli -h 127.0.0.1 CONFIG SET requirepass "$1" >/dev/null && REDISCLI_AUTH="$1" redis-cli -h 127.0.0.1 CONFIG REWRITE && REDISCLI_AUTH="$1" redis-cli -h 127.0.0.1 CLIENT KILL TYPE normal', 'rotate', password], [`REDISCLI_AUTH=${c.password}`]);
        if (r.exitCode !== 0) throw new Error(`Rotating the credentials of ${addon.name} failed: ${r.output.trim()}`);
        setAddonCredentials(db, addon.id, { ...c, password });
        const fresh = findAddon(db, addon.id) as Addon;
        for (const a of listAttachments(db, { addonId: addon.id })) {
          const app = findApp(db, a.app_id);
          if (app) await deps.configVars.apply(app, { [attachmentVar(a.name)]: addonUrl(fresh) }, { user, description: `Update ${a.name} by ${addon.name} (credentials rotated)` });
        }
        return fresh;
      });
    },

    listBackups(user: User, idOrName: string): { addon: Addon; backups: Backup[] } {
      const addon = core.find(user, idOrName);
      return { addon, backups: listBackups(db, addon.id) };
    },

    async capture(user: User, idOrName: string): Promise<Backup> {
      const addon = core.find(user, idOrName);
      return lock.run(addon.id, () => captureBackup(backupDeps, addon, 'manual'));
    },

    async restore(user: User, idOrName: string, ref: string | undefined): Promise<{ addon: Addon; source: Addon; backup: Backup }> {
      const addon = core.owned(user, idOrName);
      const { source, backup } = resolveBackup(user, addon, ref);
      await lock.run(addon.id, () => (addon.service === 'heroku-redis' ? restoreRedis : restoreBackup)(backupDeps, addon, source, backup));
      return { addon, source, backup };
    },

    /** The verified file of a backup, to stream to the user. */
    async download(user: User, idOrName: string, ref: string | undefined): Promise<{ backup: Backup; source: Addon; file: string; size: number }> {
      const addon = core.find(user, idOrName);
      const { source, backup } = resolveBackup(user, addon, ref);
      const file = await checkBackupFile(backupDeps, source, backup);
      return { backup, source, file: backupFile(deps.dataDir, backup), size: (await fs.promises.stat(file)).size };
    },

    getSchedule(user: User, idOrName: string): BackupSchedule | null {
      const addon = core.find(user, idOrName);
      return getSchedule(db, addon.id);
    },

    schedule(user: User, idOrName: string, at: unknown): BackupSchedule {
      const addon = core.owned(user, idOrName);
      const parsed = typeof at === 'string' ? parseScheduleAt(at) : null;
      if (!parsed) throw new InvalidParamsError(`Invalid schedule ${JSON.stringify(at ?? null)}: give a time of day such as "02:00 UTC".`);
      setSchedule(db, addon.id, parsed.at, parsed.timezone);
      return getSchedule(db, addon.id) as BackupSchedule;
    },

    unschedule(user: User, idOrName: string): BackupSchedule {
      const addon = core.owned(user, idOrName);
      const schedule = getSchedule(db, addon.id);
      if (!schedule || !deleteSchedule(db, addon.id)) throw new NotFoundError(`${addon.name} has no backup schedule.`);
      return schedule;
    },

    runScheduled,
    prune,

    /** Redis servers left replicas by a restore an earlier controller did not finish. */
    async recoverRestores(): Promise<void> {
      for (const addon of listAddons(db).filter((a) => a.service === 'heroku-redis' && a.state === 'provisioned')) {
        // Under the add-on's lock: a restore this controller started is never cut short.
        const was = await lock.run(addon.id, () => recoverRedisRestore(core.docker, addon)).catch(() => false);
        if (was) deps.log(`add-on ${addon.name}: a restore was interrupted; the server is a master again`);
      }
    },

    /** Scheduled backups and pruning, every minute (deps.clock: tests) and once now. */
    startTimers(): { close(): void } {
      failAbandonedBackups(db);
      const clock = deps.clock ?? { now: () => new Date(), tickMs: 60_000 };
      let busy = false;
      let closed = false;
      const tick = (): void => {
        if (busy || closed) return;
        busy = true;
        const now = clock.now();
        runScheduled(now).then(() => prune(now)).catch((err: unknown) => deps.log(`add-on backups: ${errorMessage(err)}`)).finally(() => { busy = false; });
      };
      tick();
      const timer = setInterval(tick, clock.tickMs);
      timer.unref();
      return { close() { closed = true; clearInterval(timer); } };
    },
  };
}

export type AddonOps = ReturnType<typeof createAddonOps>;
