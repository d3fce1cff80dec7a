// The add-on catalogue: the services paas can provision, their plans and the names Heroku users
// type for them, and the contract between the images (builder/addon-images.ts makes them) and
// the controller that runs them (controller/services/addon-*.ts).

export type AddonServiceName = 'heroku-postgresql' | 'heroku-redis';

export interface AddonService {
  /** Heroku's service name, used in API shapes (addon_service.name). */
  name: AddonServiceName;
  /** Human name (addon_service.human_name). */
  humanName: string;
  /** The one local plan, `<service>:<plan>`. */
  plan: string;
  /** Default attachment name; the config var is `<NAME>_URL`. */
  attachAs: string;
  /** Prefix of generated add-on names (postgresql-<word>-<n>). */
  namePrefix: string;
  /** Image the add-on container runs, built locally from the stack build image. */
  image: string;
  port: number;
  /** Where the add-on's volume is mounted in its container (and owned by its user there). */
  dataDir: string;
  /** User the server runs as (created by the Debian package). */
  user: string;
  /** Memory limit of the add-on container (MiB). */
  memoryMb: number;
  version: string;
}

export const ADDON_SERVICES: Record<AddonServiceName, AddonService> = {
  'heroku-postgresql': {
    name: 'heroku-postgresql',
    humanName: 'Heroku Postgres',
    plan: 'heroku-postgresql:local',
    attachAs: 'DATABASE',
    namePrefix: 'postgresql',
    image: 'paas/addon-postgresql:15',
    port: 5432,
    dataDir: '/var/lib/paas-addon',
    user: 'postgres',
    memoryMb: 512,
    version: '15',
  },
  'heroku-redis': {
    name: 'heroku-redis',
    humanName: 'Heroku Data for Redis',
    plan: 'heroku-redis:local',
    attachAs: 'REDIS',
    namePrefix: 'redis',
    image: 'paas/addon-redis:7',
    port: 6379,
    dataDir: '/var/lib/paas-addon',
    user: 'redis',
    memoryMb: 256,
    version: '7',
  },
};

/** Service names and the aliases users type for them (`heroku-postgresql:<tier>` maps to the
 *  local plan whatever the tier is, as does any `heroku-redis:<tier>`). */
const ALIASES: Record<string, AddonServiceName> = {
  'heroku-postgresql': 'heroku-postgresql',
  postgresql: 'heroku-postgresql',
  postgres: 'heroku-postgresql',
  'heroku-redis': 'heroku-redis',
  redis: 'heroku-redis',
};

/** The plan names accepted, for error messages. */
export const PLAN_NAMES = ['heroku-postgresql[:<tier>]', 'postgresql', 'heroku-redis[:<tier>]', 'redis'];

/** The service a plan argument asks for, or null. */
export function resolvePlan(plan: string): AddonService | null {
  const [service, tier, ...rest] = plan.trim().toLowerCase().split(':');
  if (rest.length > 0 || service === undefined) return null;
  const name = ALIASES[service];
  if (!name) return null;
  if (tier !== undefined && !/^[a-z0-9-]{1,40}$/.test(tier)) return null;
  return ADDON_SERVICES[name];
}

/** Add-on names: lowercase letters, digits and dashes, starting with a letter (Heroku's rule). */
export const ADDON_NAME = /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/;

/** Attachment names become config var prefixes: upper-case config-key characters. */
export const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]{0,62}$/;

/** The config var an attachment sets. */
export const attachmentVar = (attachmentName: string): string => `${attachmentName}_URL`;
