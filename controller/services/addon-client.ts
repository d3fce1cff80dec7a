// Interactive add-on clients (pg:psql, redis:cli): psql or redis-cli from the add-on's image in a
// throw-away container on the add-on's network, handed to the one-off runs (OneOffRuns.offer),
// so its client attaches as `paas run`'s does: a TTY of the terminal's size, resizes, Ctrl-C,
// stdin, the exit status. Only the users who may access an app the add-on is attached to open
// one, through that app; the container has limits, and is removed when it ends, when nobody
// attaches, and (left by an earlier controller) when the add-on service starts.
import { randomInt } from 'node:crypto';
import { ConflictError, InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { MAX_TERMINAL } from '../../common/run-protocol.ts';
import { oneOffHandle } from '../scheduler/docker-one-off.ts';
import type { OneOffDyno } from '../scheduler/types.ts';
import { listAddons, listAttachments, type Addon } from '../store/addons.ts';
import { canAccess, findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { pgEnv } from './addon-backups.ts';
import { networkName, serverHost, serviceOf, transientLabels, type AddonDockerDeps } from './addon-docker.ts';
import type { OneOffRuns } from './one-off-runs.ts';

const MiB = 1024 * 1024;
const PSQL = '/usr/lib/postgresql/15/bin/psql';
const ROLE = 'client';
const WAIT_FOR_SIZE = 'i=0; while [ "$(stty size 2>/dev/null)" = "0 0" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done; exec "$@"';

export interface ClientRequest {
  /** The app the session goes through (name or id; one the add-on is attached to). Default:
   *  the first such app the user may access. */
  app?: string;
  /** psql: SQL to run (-c). */
  command?: string;
  /** redis-cli: a command and its arguments. */
  args?: string[];
  /** A terminal (an interactive session); otherwise stdin, stdout and stderr are pipes. */
  tty?: boolean;
  term?: string;
  cols?: number;
  rows?: number;
}

export interface ClientSession { app: App; addon: Addon; name: string; client: 'psql' | 'redis-cli'; tty: boolean; secret: string }

export interface AddonClientDeps extends AddonDockerDeps {
  db: Db;
  runs: OneOffRuns;
  /** Seconds a session may last (PAAS_RUN_TIME_LIMIT, as any one-off). */
  timeLimitSec: number;
}

/** The client's command line and environment, and what the app's log says was started (the
 *  SQL or the Redis arguments are the user's data: not logged). */
function clientCommand(addon: Addon, req: ClientRequest): { cmd: string[]; env: string[]; client: 'psql' | 'redis-cli'; logged: string } {
  if (addon.service === 'heroku-postgresql') {
    if (req.args !== undefined) throw new InvalidParamsError(`${addon.name} is a Postgres add-on: give "command" (SQL), not "args".`);
    const cmd = [PSQL, '-X', '-v', 'ON_ERROR_STOP=1', ...(req.command !== undefined ? ['-c', req.command] : [])];
    return { cmd, env: [...pgEnv(addon), 'PGAPPNAME=paas-psql'], client: 'psql', logged: req.command !== undefined ? 'psql -c …' : 'psql' };
  }
  if (req.command !== undefined) throw new InvalidParamsError(`${addon.name} is a Redis add-on: give "args" (a command and its arguments), not "command".`);
  const args = req.args ?? [];
  return {
    cmd: ['redis-cli', '-h', serverHost(addon), ...args],
    env: [`REDISCLI_AUTH=${addon.credentials.password}`],
    client: 'redis-cli',
    logged: args.length ? `redis-cli ${args[0]} …` : 'redis-cli',
  };
}

export function createAddonClients(deps: AddonClientDeps) {
  const { db, docker, label } = deps;

  /** The app the session goes through: the user may access it and the add-on is attached to it. */
  function sessionApp(user: User, addon: Addon, requested: string | undefined): App {
    const apps = [addon.app_id, ...listAttachments(db, { addonId: addon.id }).map((a) => a.app_id)]
      .map((id) => findApp(db, id))
      .filter((a): a is App => a !== null && canAccess(db, user, a));
    const app = requested === undefined ? apps[0] : apps.find((a) => a.name === requested || a.id === requested);
    if (!app) throw new NotFoundError(`${addon.name} is not attached to ${requested ?? 'an app of yours'}.`);
    return app;
  }

  return {
    /** Creates the client's container (not started) and offers it to its client: the run's
     *  secret, for the attach URL. */
    async open(user: User, addon: Addon, req: ClientRequest): Promise<ClientSession> {
      const app = sessionApp(user, addon, req.app);
      if (addon.state !== 'provisioned') throw new ConflictError(`${addon.name} is ${addon.state}: no client can connect to it.`);
      const { cmd, env, client, logged } = clientCommand(addon, req);
      if (req.term !== undefined && !/^[A-Za-z0-9._+-]{1,64}$/.test(req.term)) throw new InvalidParamsError('Invalid "term": a terminal type such as xterm-256color.');
      const size = (n: number | undefined, d: number): number => (Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_TERMINAL ? n as number : d);
      const tty = req.tty === true ? { cols: size(req.cols, 80), rows: size(req.rows, 24) } : null;
      const name = `${client}.${1000 + randomInt(9000)}`;
      const deadline = Date.now() + deps.timeLimitSec * 1000;
      const service = serviceOf(addon);
      // The terminal's size is set once the container runs (Docker API 1.41 takes none at
      // create): the client waits for it (up to 2 s), else redis-cli's line editor would ask
      // the terminal for its width.
      const run = tty ? ['/bin/sh', '-c', WAIT_FOR_SIZE, client, ...cmd] : cmd;
      const c = await docker.createContainer({
        Image: service.image,
        Entrypoint: run.slice(0, 1),
        Cmd: run.slice(1),
        // HOME on the tmpfs: the clients' history files, gone with the container.
        Env: [...env, 'HOME=/tmp', ...(tty ? [`TERM=${req.term ?? 'xterm-256color'}`, `COLUMNS=${tty.cols}`, `LINES=${tty.rows}`] : [])],
        User: service.user,
        WorkingDir: '/tmp',
        Labels: { ...transientLabels(deps, addon, ROLE), [`${label}.addon-client`]: name, [`${label}.addon-app`]: app.name },
        Tty: tty !== null,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          // Only the add-on's network: the client reaches its server and nothing else.
          NetworkMode: networkName(label, addon),
          Memory: 256 * MiB,
          MemorySwap: 256 * MiB,
          NanoCpus: 1e9,
          PidsLimit: 64,
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=16m' },
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Init: true,
        },
      });
      const dyno: OneOffDyno = oneOffHandle(docker, c.id, name, { command: logged, size: 'addon-client', attached: true, tty: tty !== null, deadline });
      if (tty) {
        const start = dyno.start.bind(dyno);
        // Docker 20.10 (API 1.41) takes no console size at create: set it as soon as it runs.
        dyno.start = async (output) => { await start(output); await dyno.resize(tty.cols, tty.rows); };
      }
      const secret = deps.runs.offer(app, user, dyno, `${logged} (${addon.name})`);
      return { app, addon, name, client, tty: tty !== null, secret };
    },

    /** Removes the client and job containers of this platform's add-ons that an earlier
     *  controller left (their clients and jobs cannot be reached any more); never this one's. */
    async sweep(): Promise<number> {
      const own = new Set(listAddons(db).map((a) => a.id));
      const left = (await docker.listContainers({ all: true, filters: { label: [`${label}=addon`] } }))
        .filter((c) => own.has(c.Labels[`${label}.addon-id`]) && c.Labels[`${label}.addon-role`] !== 'server'
          && c.Labels[`${label}.addon-controller`] !== deps.instance);
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      return left.length;
    },
  };
}

export type AddonClients = ReturnType<typeof createAddonClients>;
