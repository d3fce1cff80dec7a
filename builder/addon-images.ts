// The add-on images (PostgreSQL 15 and Redis 7 from Debian bookworm packages), made locally on
// the stack build image: a root container installs the packages and an entry script, and is
// committed. Each image carries the hash of its recipe (label paas.addon.key): an image made
// from another recipe (or on another stack build image) is made again. Nothing is pulled.
// Admin command: `node builder/addon-images.ts [--force]` (bin/setup runs it).
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { ADDON_SERVICES, type AddonService } from '../common/addon-catalog.ts';
import { loadConfig } from '../common/config.ts';
import { withBuildContainer } from './build-container.ts';
import { ensureBuildNetwork } from './build-network.ts';
import { withDirLock } from './dir-lock.ts';
import { splitImageRef } from './import-rootfs.ts';

const KEY_LABEL = 'paas.addon.key';

/** PostgreSQL: initialises its data directory on first start (superuser `postgres` reachable only
 *  through the local socket; the app's role and database, with the password from the
 *  environment, reachable over TCP with scram-sha-256), then runs the server. */
const POSTGRES_ENTRY = `#!/bin/sh
set -eu
BIN=/usr/lib/postgresql/15/bin
DATA="$PAAS_ADDON_DIR/pgdata"
if [ ! -s "$DATA/PG_VERSION" ]; then
  # Names and password are the platform's (random hex): anything else never reaches SQL.
  for v in "$PAAS_DB_USER" "$PAAS_DB_PASSWORD" "$PAAS_DB_NAME"; do
    case "$v" in ''|*[!a-z0-9]*) echo "bad add-on credentials" >&2; exit 1 ;; esac
  done
  INIT="$PAAS_ADDON_DIR/pgdata.init"
  rm -rf "$INIT"
  # --no-sync: a new, empty cluster (the server's first checkpoint makes it durable).
  "$BIN/initdb" -D "$INIT" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  printf "listen_addresses = '*'\\nunix_socket_directories = '/tmp'\\npassword_encryption = 'scram-sha-256'\\n" >>"$INIT/postgresql.conf"
  printf 'local all all trust\\nhost all all 0.0.0.0/0 scram-sha-256\\nhost all all ::/0 scram-sha-256\\n' >"$INIT/pg_hba.conf"
  # Single-user mode: no server to start and stop just to make the role and the database.
  printf "CREATE ROLE %s LOGIN PASSWORD '%s';\\nCREATE DATABASE %s OWNER %s;\\n" "$PAAS_DB_USER" "$PAAS_DB_PASSWORD" "$PAAS_DB_NAME" "$PAAS_DB_USER" \\
    | "$BIN/postgres" --single -D "$INIT" postgres >/dev/null
  mv "$INIT" "$DATA"
fi
exec "$BIN/postgres" -D "$DATA"
`;

/** Redis: AOF persistence and the password in a config file on the volume (CONFIG REWRITE keeps
 *  a rotated password there across restarts). */
const REDIS_ENTRY = `#!/bin/sh
set -eu
CONF="$PAAS_ADDON_DIR/redis.conf"
if [ ! -s "$CONF" ]; then
  umask 077
  printf 'requirepass "%s"\\n' "$PAAS_REDIS_PASSWORD" >"$CONF.init"
  mv "$CONF.init" "$CONF"
fi
exec redis-server "$CONF" --port 6379 --bind '* -::*' --protected-mode no --dir "$PAAS_ADDON_DIR" \\
  --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save ''
`;

interface Recipe {
  service: AddonService;
  packages: string[];
  /** Runs as root before the packages are installed. */
  before: string;
  entry: string;
}

const RECIPES: Recipe[] = [
  {
    service: ADDON_SERVICES['heroku-postgresql'],
    packages: ['postgresql-15'],
    // No default cluster: each add-on initialises its own on its volume.
    before: "mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf",
    entry: POSTGRES_ENTRY,
  },
  {
    service: ADDON_SERVICES['heroku-redis'],
    packages: ['redis-server'],
    before: '',
    entry: REDIS_ENTRY,
  },
];

const ENTRY = '/usr/local/bin/paas-addon-entry';

function installScript(r: Recipe): string {
  const dir = r.service.dataDir;
  return [
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    r.before,
    'apt-get update -qq',
    `apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold ${r.packages.join(' ')}`,
    'rm -rf /var/lib/apt/lists/*',
    `mkdir -p ${dir} && chown ${r.service.user}:${r.service.user} ${dir} && chmod 700 ${dir}`,
    `cat >${ENTRY} <<'PAAS_ENTRY_EOF'\n${r.entry}PAAS_ENTRY_EOF`,
    `chmod 755 ${ENTRY}`,
  ].join('\n');
}

const recipeKey = (r: Recipe, stackId: string): string =>
  createHash('sha256').update(JSON.stringify([installScript(r), stackId])).digest('hex').slice(0, 16);

export interface EnsureAddonImagesOptions {
  docker: Dockerode;
  /** The stack build image (config.stackBuildImage) the images are made on. */
  baseImage: string;
  /** config.label, on the throw-away build containers. */
  label: string;
  log: (line: string) => void;
  force?: boolean;
}

/** Makes the add-on images that are missing or out of date; returns their names. */
export async function ensureAddonImages(opts: EnsureAddonImagesOptions): Promise<string[]> {
  const stackId = (await opts.docker.getImage(opts.baseImage).inspect()).Id;
  const stale = async (r: Recipe): Promise<boolean> => {
    if (opts.force) return true;
    const info = await opts.docker.getImage(r.service.image).inspect().catch(() => null);
    return info?.Config?.Labels?.[KEY_LABEL] !== recipeKey(r, stackId);
  };
  const todo: Recipe[] = [];
  for (const r of RECIPES) if (await stale(r)) todo.push(r);
  if (todo.length > 0) {
    await withDirLock(path.join(os.tmpdir(), 'paas-addon-images.lock'), async () => {
      for (const r of todo) if (opts.force || await stale(r)) await makeImage(opts, r, recipeKey(r, stackId));
    });
  }
  return RECIPES.map((r) => r.service.image);
}

async function makeImage(opts: EnsureAddonImagesOptions, r: Recipe, key: string): Promise<void> {
  const { repo, tag } = splitImageRef(r.service.image);
  opts.log(`-----> Making ${r.service.image} on ${opts.baseImage} (${r.packages.join(', ')})`);
  const previous = await opts.docker.getImage(r.service.image).inspect().catch(() => null);
  await withBuildContainer(
    {
      docker: opts.docker,
      image: opts.baseImage,
      user: '0:0',
      // apt-get as root: our own recipe on a stack image, no tenant code.
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'],
      workingDir: '/',
      cmd: ['/bin/sh', '-c', installScript(r)],
      labels: { [opts.label]: '1', [`${opts.label}.addon-image`]: r.service.name },
      binds: [],
      // apt-get reaches the Debian mirror; the build network reaches nothing local.
      network: await ensureBuildNetwork(opts.docker, opts.label),
      memoryBytes: 1024 ** 3,
      timeoutMs: 10 * 60_000,
      log: (line) => opts.log(`       ${line}`),
    },
    async (container, exitCode) => {
      if (exitCode !== 0) throw new Error(`making ${r.service.image} failed (exit ${exitCode})`);
      await container.commit({
        repo,
        tag,
        comment: `paas add-on ${r.service.name} (${r.packages.join(', ')})`,
        changes: [
          `USER ${r.service.user}`,
          'WORKDIR /',
          `ENV PAAS_ADDON_DIR=${r.service.dataDir}`,
          `LABEL paas=1 paas.addon=${r.service.name} ${KEY_LABEL}=${key}`,
          `ENTRYPOINT ["${ENTRY}"]`,
          'CMD []',
        ],
      });
    },
  );
  const now = await opts.docker.getImage(r.service.image).inspect();
  if (previous && previous.Id !== now.Id) await opts.docker.getImage(previous.Id).remove().catch(() => {});
  opts.log(`-----> ${r.service.image} ready (${Math.round(now.Size / 1e6)} MB)`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = new Dockerode({ socketPath: config.dockerSocket });
  const started = Date.now();
  await ensureAddonImages({ docker, baseImage: config.stackBuildImage, label: 'paas', log: (l) => console.log(l), force: process.argv.includes('--force') });
  console.log(`-----> add-on images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(` !     ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
