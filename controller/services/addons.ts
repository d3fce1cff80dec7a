// Add-ons: provisioning (one server container per add-on, on its own network, with a volume),
// attachments (a config var and a release on the app; its dynos join the add-on's network),
// destroy (a final backup kept 7 days, then container, network and volume go), and the
// supervisor that restarts a server stopped from outside. Backups: addon-backups.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import { ADDON_SERVICES, ADDON_NAME, ATTACHMENT_NAME, PLAN_NAMES, attachmentVar, resolvePlan } from '../../common/addon-catalog.ts';
import { ConflictError, errorMessage, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { createKeyedMutex } from '../../common/keyed-mutex.ts';
import { watchContainerEvents } from '../scheduler/docker-events.ts';
import {
  deleteAttachment, findAddon, findAttachment, insertAddon, insertAttachment, listAddons, listAttachments,
  setAddonCredentials, setAddonState, type Addon, type Attachment,
} from '../store/addons.ts';
import { canAccess, findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { captureBackup, type BackupDeps } from './addon-backups.ts';
import { containerName, ensureServer, networkName, removeServer, serverHost, waitReady, type AddonDockerDeps } from './addon-docker.ts';
import type { ConfigService } from './config-vars.ts';
import type { OneOffRuns } from './one-off-runs.ts';

export interface AddonDeps {
  db: Db;
  docker: Dockerode;
  label: string;
  dataDir: string;
  /** Pool of the add-on networks' subnets (config.addonSubnets). */
  subnets: string;
  /** The one entry point for config changes (a release each). */
  configVars: ConfigService;
  /** A line for an app's log stream (app[api]). */
  events: (app: string, line: string) => void;
  log: (line: string) => void;
  /** Attached runs: pg:psql and redis:cli sessions wait for their client there. */
  runs: OneOffRuns;
  /** Seconds a pg:psql or redis:cli session may last (PAAS_RUN_TIME_LIMIT). */
  runTimeLimitSec: number;
  /** The clock of scheduled backups and how often it is read (tests: a clock set ahead). */
  clock?: AddonClock;
}

export interface AddonClock { now(): Date; tickMs: number }

const WORDS = ['amber', 'brisk', 'cobalt', 'dapper', 'ember', 'fluffy', 'glacial', 'humble', 'ivory', 'jolly', 'keen', 'lunar', 'mellow', 'nimble', 'opal', 'polar', 'quiet', 'rugged', 'silky', 'tidy'];
const randomName = (prefix: string): string =>
  `${prefix}-${WORDS[randomBytes(1)[0] % WORDS.length]}-${String(randomBytes(4).readUInt32BE() % 100000).padStart(5, '0')}`;
const secret = (bytes: number): string => randomBytes(bytes).toString('hex');

/** The URL an attachment puts in `<NAME>_URL`. Host: the add-on's name on its network. */
export function addonUrl(addon: Addon): string {
  const c = addon.credentials;
  return addon.service === 'heroku-postgresql'
    ? `postgres://${c.user}:${c.password}@${serverHost(addon)}:5432/${c.database}`
    : `redis://default:${c.password}@${serverHost(addon)}:6379`;
}

/** Attachment names are config-var prefixes: `--as database` means DATABASE_URL. */
export function attachmentNameProblem(name: string): string | null {
  return ATTACHMENT_NAME.test(name) ? null
    : `Invalid attachment name ${JSON.stringify(name)}: use letters, digits and underscores, starting with a letter (it becomes the config var ${name}_URL).`;
}

export type AddonCore = ReturnType<typeof createAddonCore>;

export function createAddonCore(deps: AddonDeps) {
  const { db } = deps;
  const docker: AddonDockerDeps = { docker: deps.docker, label: deps.label, subnets: deps.subnets, instance: randomUUID() };
  const lock = createKeyedMutex();
  /** Add-ons the platform is stopping itself (destroy): the supervisor leaves them alone. */
  const stopping = new Set<string>();
  const announce = (addon: Addon, line: string): void => {
    const apps = new Set([addon.app_id, ...listAttachments(db, { addonId: addon.id }).map((a) => a.app_id)]);
    for (const id of apps) { const app = findApp(db, id); if (app) deps.events(app.name, line); }
  };
  const backupDeps: BackupDeps = { ...docker, db, dataDir: deps.dataDir, announce };

  const visible = (user: User, addon: Addon): boolean => {
    const apps = [addon.app_id, ...listAttachments(db, { addonId: addon.id }).map((a) => a.app_id)];
    return apps.some((id) => { const app = findApp(db, id); return app !== null && canAccess(db, user, app); });
  };

  /** A live add-on the user may see, by id or name; 404 otherwise (existence is not leaked). */
  function find(user: User, idOrName: string): Addon {
    const addon = findAddon(db, idOrName);
    if (!addon || !visible(user, addon)) throw new NotFoundError(`Couldn't find that add-on: ${idOrName}.`);
    return addon;
  }

  /** An add-on the user may manage (they can access the app it was created on). */
  function owned(user: User, idOrName: string): Addon {
    const addon = find(user, idOrName);
    const app = findApp(db, addon.app_id);
    if (!app || !canAccess(db, user, app)) throw new NotFoundError(`Couldn't find that add-on: ${idOrName}.`);
    return addon;
  }

  async function setVar(app: App, user: User, name: string, value: string | null, description: string): Promise<void> {
    await deps.configVars.apply(app, { [attachmentVar(name)]: value }, { user, description });
  }

  async function attach(user: User, app: App, addon: Addon, requested?: string): Promise<Attachment> {
    const name = (requested ?? ADDON_SERVICES[addon.service].attachAs).toUpperCase();
    const problem = attachmentNameProblem(name);
    if (problem) throw new InvalidParamsError(problem);
    if (addon.state !== 'provisioned') throw new ConflictError(`${addon.name} is ${addon.state}: it cannot be attached now.`);
    if (listAttachments(db, { appId: app.id }).some((a) => a.name === name)) {
      throw new ConflictError(`${app.name} already has an add-on attached as ${name}: choose another name with --as.`);
    }
    const attachment = insertAttachment(db, { addon_id: addon.id, app_id: app.id, name });
    try {
      await setVar(app, user, name, addonUrl(addon), `Attach ${name} (${addon.name})`);
    } catch (err) {
      deleteAttachment(db, attachment.id);
      throw err;
    }
    return attachment;
  }

  async function detach(user: User, attachment: Attachment): Promise<void> {
    const app = findApp(db, attachment.app_id);
    const addon = findAddon(db, attachment.addon_id);
    deleteAttachment(db, attachment.id);
    if (app) await setVar(app, user, attachment.name, null, `Detach ${attachment.name} (${addon?.name ?? attachment.addon_id})`);
  }

  /** The backup taken before a destroy, kept 7 days: null, or why there is none. */
  async function finalBackup(addon: Addon): Promise<string | null> {
    try {
      await ensureServer(docker, addon);
      await waitReady(docker, addon, 30_000);
      const expires = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
      const final = await captureBackup(backupDeps, addon, 'final', expires);
      return final.status === 'succeeded' ? null : final.error ?? 'failed';
    } catch (err) {
      return errorMessage(err);
    }
  }

  async function provision(addon: Addon): Promise<Addon> {
    try {
      const { subnet, host } = await ensureServer(docker, addon, { provisioning: true });
      setAddonCredentials(db, addon.id, { ...addon.credentials, subnet, host });
      await waitReady(docker, addon);
      setAddonState(db, addon.id, 'provisioned');
    } catch (err) {
      setAddonState(db, addon.id, 'failed', errorMessage(err));
      await removeServer(docker, addon).catch(() => undefined);
      throw new Error(`Provisioning ${addon.name} failed: ${errorMessage(err)}`);
    }
    return findAddon(db, addon.id) as Addon;
  }

  return {
    find,
    owned,
    attach,
    detach,
    backupDeps,
    lock,
    docker,

    async create(user: User, app: App, body: { plan?: unknown; name?: unknown; attachment?: unknown }): Promise<Addon> {
      const service = typeof body.plan === 'string' ? resolvePlan(body.plan) : null;
      if (!service) throw new InvalidParamsError(`Unknown plan ${JSON.stringify(body.plan ?? null)}. Plans: ${PLAN_NAMES.join(', ')}.`);
      if (body.name !== undefined && (typeof body.name !== 'string' || !ADDON_NAME.test(body.name))) {
        throw new InvalidParamsError(`Invalid add-on name ${JSON.stringify(body.name)}: 4 to 64 lowercase letters, digits and dashes, starting with a letter.`);
      }
      const asName = (body.attachment as { name?: unknown } | undefined)?.name;
      if (asName !== undefined && (typeof asName !== 'string' || attachmentNameProblem(asName.toUpperCase()))) {
        throw new InvalidParamsError(attachmentNameProblem(String(asName)) ?? 'Invalid attachment name.');
      }
      const wanted = typeof asName === 'string' ? asName.toUpperCase() : service.attachAs;
      if (listAttachments(db, { appId: app.id }).some((a) => a.name === wanted)) {
        throw new ConflictError(`${app.name} already has an add-on attached as ${wanted}: choose another name with --as.`);
      }
      const name = typeof body.name === 'string' ? body.name : randomName(service.namePrefix);
      if (findAddon(db, name)) throw new ConflictError(`The add-on name ${name} is already taken.`);
      const credentials = { user: `u${secret(6)}`, password: secret(24), database: `d${secret(6)}` };
      let addon: Addon;
      try {
        addon = insertAddon(db, { name, service: service.name, plan: service.plan, app_id: app.id, owner_id: user.id, credentials });
      } catch {
        throw new ConflictError(`The add-on name ${name} is already taken.`);
      }
      addon = await provision(addon);
      deps.events(app.name, `Add-on ${addon.name} (${service.plan}) provisioned by ${user.email}`);
      await attach(user, app, addon, wanted);
      return addon;
    },

    /** Final backup (kept 7 days), detached everywhere, then server, network and volume removed.
     *  A final backup that fails stops the destroy, unless `force` (a server broken beyond
     *  repair): then the failure is recorded and announced, and the add-on destroyed. */
    async destroy(user: User, app: App, idOrName: string, opts: { force?: boolean } = {}): Promise<Addon> {
      const addon = owned(user, idOrName);
      if (addon.app_id !== app.id) throw new NotFoundError(`Couldn't find that add-on on ${app.name}: ${idOrName}.`);
      return lock.run(addon.id, async () => {
        if (addon.state === 'provisioned') {
          const problem = (await finalBackup(addon))?.replace(/\s*\n\s*/g, ' | ') ?? null;
          if (problem && !opts.force) {
            throw new ConflictError(`The final backup of ${addon.name} failed, so it was not destroyed: ${problem} (destroy it without a final backup with --force).`);
          }
          if (problem) announce(addon, `Add-on ${addon.name} is destroyed by ${user.email} with --force WITHOUT a final backup (it failed: ${problem})`);
        }
        for (const a of listAttachments(db, { addonId: addon.id })) await detach(user, a);
        stopping.add(addon.id);
        try {
          await deps.docker.getContainer(containerName(deps.label, addon)).remove({ force: true }).catch(() => undefined);
          await removeServer(docker, addon);
        } finally {
          stopping.delete(addon.id);
        }
        setAddonState(db, addon.id, 'deprovisioned');
        deps.events(app.name, `Add-on ${addon.name} destroyed by ${user.email}`);
        return findAddon(db, addon.id, true) as Addon;
      });
    },

    /** The networks a dyno of this app joins: those of the add-ons attached to it. */
    networksOf(appId: string): string[] {
      return listAttachments(db, { appId })
        .map((a) => findAddon(db, a.addon_id))
        .filter((a): a is Addon => a !== null && a.state === 'provisioned')
        .map((a) => networkName(deps.label, a));
    },

    findAttachment: (id: string): Attachment | null => findAttachment(db, id),

    /** Restarts servers that are not running (stopped from outside, or after a dockerd restart
     *  without them), and keeps doing so on their `die` events. */
    supervise(): { close(): void } {
      const pending = new Map<string, NodeJS.Timeout>();
      const failures = new Map<string, number>();
      let closed = false;
      const heal = (addon: Addon): void => {
        if (closed || pending.has(addon.id) || stopping.has(addon.id) || addon.state !== 'provisioned') return;
        const n = failures.get(addon.id) ?? 0;
        failures.set(addon.id, n + 1);
        const delay = Math.min(500 * 2 ** n, 60_000);
        pending.set(addon.id, setTimeout(() => {
          pending.delete(addon.id);
          if (closed) return;
          const fresh = findAddon(db, addon.id);
          if (!fresh || fresh.state !== 'provisioned' || stopping.has(addon.id)) return;
          deps.log(`add-on ${fresh.name}: server not running, starting it`);
          ensureServer(docker, fresh).then(() => waitReady(docker, fresh)).then(() => {
            if (closed) return;
            announce(fresh, `Add-on ${fresh.name} was down and has been restarted`);
            setTimeout(() => failures.delete(addon.id), 30_000).unref();
          }).catch((err: unknown) => {
            if (closed) return;
            deps.log(`add-on ${fresh.name}: restart failed: ${errorMessage(err)}`);
            if (/data volume .* is gone/.test(errorMessage(err))) {
              setAddonState(db, fresh.id, 'failed', errorMessage(err));
              announce(fresh, `Add-on ${fresh.name} FAILED: ${errorMessage(err)}`);
            }
          });
        }, delay));
      };
      const check = async (addon: Addon): Promise<void> => {
        const info = await deps.docker.getContainer(containerName(deps.label, addon)).inspect().catch(() => null);
        if (!info || (!info.State.Running && !info.State.Restarting)) heal(addon);
      };
      const checkAll = (): void => { if (!closed) for (const a of listAddons(db)) void check(a); };
      const watcher = watchContainerEvents(deps.docker, [`${deps.label}.addon-role=server`], ['die', 'destroy'], () => {
        // Which add-on does not matter: all are looked at (a destroyed container cannot be inspected).
        setTimeout(checkAll, 100).unref();
      });
      checkAll();
      const timer = setInterval(checkAll, 30_000);
      timer.unref();
      return {
        close() {
          closed = true;
          watcher.close();
          clearInterval(timer);
          for (const t of pending.values()) clearTimeout(t);
        },
      };
    },
  };
}
