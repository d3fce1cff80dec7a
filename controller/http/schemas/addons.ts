// Add-ons (Heroku Platform API v3: addons, addon-attachments, addon-services) and paas's own
// paths for what Heroku does in its data APIs: info, psql, redis-cli, credentials, backups.
import { Type } from '@sinclair/typebox';
import { AppRef, Empty, Nullable, Timestamp, Uuid, named, route } from './common.ts';

const AddonRef = Type.Object({ id: Uuid, name: Type.String({ examples: ['postgresql-amber-12345'] }) });

export const AddonServiceSchema = named('AddonService', Type.Object({
  id: Type.String(), name: Type.String({ examples: ['heroku-postgresql'] }), human_name: Type.String(), state: Type.String(),
  cli_plugin_name: Type.Null(), supports_multiple_installations: Type.Boolean(), supports_sharing: Type.Boolean(),
  plans: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), version: Type.String() })),
  created_at: Timestamp, updated_at: Timestamp,
}));

export const AddonPlanSchema = named('AddonPlan', Type.Object({
  id: Type.String(), name: Type.String({ examples: ['heroku-postgresql:local'] }), human_name: Type.String(), description: Type.String(),
  default: Type.Boolean(), state: Type.Literal('public'),
  price: Type.Object({ cents: Type.Literal(0), unit: Type.Literal('month'), contract: Type.Boolean(), metered: Type.Boolean() }),
  addon_service: Type.Object({ id: Type.String(), name: Type.String() }),
  created_at: Timestamp, updated_at: Timestamp,
}));

export const AddonSchema = named('Addon', Type.Object({
  id: Uuid,
  name: Type.String({ examples: ['postgresql-amber-12345'] }),
  addon_service: Type.Object({ id: Type.String(), name: Type.String({ examples: ['heroku-postgresql'] }) }),
  plan: Type.Object({ id: Type.String(), name: Type.String({ examples: ['heroku-postgresql:local'] }), price: Type.Object({ cents: Type.Literal(0), unit: Type.Literal('month') }) }),
  app: Nullable(AppRef),
  billing_entity: Type.Object({ id: Type.Optional(Uuid), name: Type.Optional(Type.String()), type: Type.Literal('app') }),
  state: Type.Union(['provisioning', 'provisioned', 'deprovisioned', 'failed'].map((s) => Type.Literal(s))),
  error: Nullable(Type.String()),
  config_vars: Type.Array(Type.String({ examples: ['DATABASE_URL'] })),
  attachments: Type.Array(Type.Object({ id: Uuid, name: Type.String(), app: Nullable(AppRef) })),
  provider_id: Uuid,
  actions: Type.Array(Type.Unknown()),
  billed_price: Type.Object({ cents: Type.Literal(0), contract: Type.Boolean(), unit: Type.Literal('month') }, { description: 'free' }),
  web_url: Type.Null(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));

export const AttachmentSchema = named('AddonAttachment', Type.Object({
  id: Uuid,
  name: Type.String({ examples: ['DATABASE'] }),
  addon: Type.Object({ id: Uuid, name: Nullable(Type.String()), app: Nullable(AppRef) }),
  app: Nullable(AppRef),
  config_vars: Type.Array(Type.String()),
  namespace: Type.Null(),
  web_url: Type.Null(),
  log_input_url: Type.Null(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));

export const BackupSchema = named('AddonBackup', Type.Object({
  id: Uuid,
  name: Type.String({ description: 'b001 capture, a001 scheduled, f001 final (before a destroy)', examples: ['b001'] }),
  addon: AddonRef,
  kind: Type.Union([Type.Literal('manual'), Type.Literal('scheduled'), Type.Literal('final')]),
  status: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  error: Nullable(Type.String()),
  size: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  created_at: Timestamp,
  finished_at: Nullable(Timestamp),
  expires_at: Nullable(Timestamp),
}));

export const ScheduleSchema = named('AddonBackupSchedule', Type.Object({
  addon: AddonRef, at: Type.String({ examples: ['02:00'] }), timezone: Type.String({ examples: ['UTC'] }),
  last_run_at: Nullable(Timestamp), created_at: Timestamp,
}));

const ClientResult = named('AddonClientResult', Type.Object({ exit_code: Type.Integer(), output: Type.String() }));
const AddonInfo = named('AddonInfo', Type.Object({
  name: Type.String(), plan: Type.String(), state: Type.String(),
  server: Type.Union([Type.Literal('up'), Type.Literal('restarting'), Type.Literal('crashed'), Type.Literal('missing')]),
  created_at: Timestamp,
}, { additionalProperties: true, description: 'Postgres adds pg_version, data_size, connections, tables, backups; Redis redis_version, used_memory, connected_clients, aof_enabled, keys' }));

export const AddonCreateBody = Type.Object({
  plan: Type.Union([Type.String({ examples: ['heroku-postgresql'] }), Type.Object({ name: Type.String() }, { description: "Heroku's form ({name})" })]),
  name: Type.Optional(Type.String()),
  attachment: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ examples: ['DATABASE'] })) })),
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'provider options: none exist here, so only {} is taken' })),
  confirm: Type.Optional(Nullable(Type.String({ description: "Heroku's confirmation of a paid plan: ignored (no plan is paid)" }))),
}, { additionalProperties: false });
export const AddonResolveBody = Type.Object({
  addon: Type.String({ description: 'add-on name or id, or an attachment name (REDIS, app::REDIS)' }),
  app: Type.Optional(Nullable(Type.String())), addon_service: Type.Optional(Nullable(Type.String())),
}, { additionalProperties: false });
export const AttachmentResolveBody = Type.Object({
  addon_attachment: Type.String({ description: 'attachment name (REDIS, app::REDIS) or id, or an add-on name' }),
  app: Type.Optional(Nullable(Type.String())), addon_service: Type.Optional(Nullable(Type.String())),
}, { additionalProperties: false });
export const AttachmentCreateBody = Type.Object({
  app: Type.String(), addon: Type.String(), name: Type.Optional(Type.String()),
}, { additionalProperties: false });
export const PsqlBody = Type.Object({ command: Type.Optional(Type.String()), script: Type.Optional(Type.String()) }, { additionalProperties: false });
export const RedisCliBody = Type.Object({ args: Type.Optional(Type.Array(Type.String())), script: Type.Optional(Type.String()) }, { additionalProperties: false });
export const ClientSessionBody = Type.Object({
  app: Type.Optional(Type.String({ description: 'the app the session goes through (one the add-on is attached to, that the caller may access); default: the first such app' })),
  command: Type.Optional(Type.String({ description: 'Postgres: SQL to run (psql -c); none: an interactive session, or psql input on stdin' })),
  args: Type.Optional(Type.Array(Type.String(), { description: 'Redis: one command and its arguments; none: an interactive session, or commands on stdin' })),
  tty: Type.Optional(Type.Boolean({ description: 'a terminal (an interactive session); default: pipes (stdout and stderr apart, stdin ends with eof)' })),
  term: Type.Optional(Type.String({ examples: ['xterm-256color'] })),
  cols: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
}, { additionalProperties: false });
export const ClientSessionSchema = named('AddonClientSession', Type.Object({
  name: Type.String({ examples: ['psql.4821'] }),
  client: Type.Union([Type.Literal('psql'), Type.Literal('redis-cli')]),
  tty: Type.Boolean(),
  addon: AddonRef,
  app: AppRef,
  attach_url: Type.String({ description: 'ws://…/apps/{app}/dynos/{name}/attach/{secret}: attach within 60 s with the same token, as to a `paas run` (docs/one-off-dynos.md)' }),
}));
export const AddonDestroyBody = Type.Object({
  force: Type.Optional(Type.Boolean({ description: 'destroy even if the final backup fails (the failure is recorded and announced); also ?force=true' })),
}, { additionalProperties: false });
export const RestoreBody = Type.Object({ backup: Type.Optional(Type.String({ description: 'b001, or ADDON::b001 of another add-on; default the latest' })) }, { additionalProperties: false });
export const ScheduleBody = Type.Object({ at: Type.String({ examples: ['02:00 UTC'] }) }, { additionalProperties: false });

const AD = '/addons/{addon}';
export const addonsRoutes = [
  route({ method: 'get', path: '/addon-services', summary: 'The add-on catalogue: heroku-postgresql (PostgreSQL 15) and heroku-redis (Redis 7)', response: Type.Array(AddonServiceSchema) }),
  route({ method: 'post', path: '/actions/addons/resolve', summary: "Heroku's add-on resolver: the add-on a name, id or attachment name means", body: AddonResolveBody, response: Type.Array(AddonSchema) }),
  route({ method: 'post', path: '/actions/addon-attachments/resolve', summary: "Heroku's attachment resolver: the attachments a name (REDIS, app::REDIS) or add-on means", body: AttachmentResolveBody, response: Type.Array(AttachmentSchema) }),
  route({ method: 'get', path: '/addon-services/{service}/plans', summary: "A service's plans (one, free), as Heroku's addons:plans reads them", response: Type.Array(AddonPlanSchema) }),
  route({ method: 'get', path: '/addon-services/{service}', summary: 'One add-on service, by name or alias (postgresql, redis)', response: AddonServiceSchema }),
  route({ method: 'get', path: '/addons', summary: 'Add-ons on apps the caller can access', response: Type.Array(AddonSchema) }),
  route({ method: 'get', path: '/apps/{app}/addons', summary: 'Add-ons created on the app or attached to it', response: Type.Array(AddonSchema) }),
  route({
    method: 'post', path: '/apps/{app}/addons', status: 201, body: AddonCreateBody, response: AddonSchema,
    summary: 'Provision an add-on (heroku-postgresql[:tier], postgresql, heroku-redis[:tier], redis; 422 lists the plans) and attach it: <NAME>_URL (DATABASE_URL, REDIS_URL) in a new release',
  }),
  route({ method: 'get', path: '/apps/{app}/addons/{addon}', summary: 'One add-on of the app', response: AddonSchema }),
  route({
    method: 'delete', path: '/apps/{app}/addons/{addon}', body: AddonDestroyBody, response: AddonSchema,
    summary: 'Destroy an add-on: a final backup (kept 7 days; if it fails nothing is destroyed, 409, unless force), detached from every app (a release each), then its server, network and data removed',
  }),
  route({ method: 'get', path: AD, summary: 'Add-on info, by id or name', response: AddonSchema }),
  route({ method: 'post', path: '/addon-attachments', status: 201, body: AttachmentCreateBody, response: AttachmentSchema, summary: 'Attach an add-on to an app: <NAME>_URL in a new release; 409 if the app has that name already' }),
  route({ method: 'get', path: '/addon-attachments/{id}', summary: 'One attachment', response: AttachmentSchema }),
  route({ method: 'delete', path: '/addon-attachments/{id}', summary: 'Detach: the config var is removed in a new release', response: AttachmentSchema }),
  route({ method: 'get', path: '/addon-attachments', summary: "Attachments of every app the caller can see (Heroku's addons list reads them)", response: Type.Array(AttachmentSchema) }),
  route({ method: 'get', path: '/apps/{app}/addon-attachments', summary: "The app's attachments", response: Type.Array(AttachmentSchema) }),
  route({ method: 'get', path: `${AD}/addon-attachments`, summary: "The add-on's attachments", response: Type.Array(AttachmentSchema) }),
  route({ method: 'get', path: `${AD}/info`, summary: 'Live server info: add-on state and server state (up, restarting, crashed, missing), version, size, connections', response: AddonInfo }),
  route({ method: 'post', path: `${AD}/actions/psql`, body: PsqlBody, response: ClientResult, summary: 'psql as the add-on role in a one-off container on its network: -c command, or a script as its input' }),
  route({ method: 'post', path: `${AD}/actions/redis-cli`, body: RedisCliBody, response: ClientResult, summary: 'redis-cli in a one-off container on its network: one command (args), or commands one a line (script)' }),
  route({
    method: 'post', path: `${AD}/client-sessions`, status: 201, body: ClientSessionBody, response: ClientSessionSchema,
    summary: 'An interactive psql / redis-cli (or -c SQL, a command, piped input) in a container with limits on the add-on network, attached over the one-off attach protocol; removed when it ends or nobody attaches within 60 s',
  }),
  route({ method: 'post', path: `${AD}/actions/rotate-credentials`, body: Empty, response: AddonSchema, summary: 'New password; sessions end; every attachment URL updated (a release each)' }),
  route({ method: 'get', path: `${AD}/backups`, summary: 'Backups (Postgres: pg_dump archives; Redis: RDB snapshots) with status, error, size and sha256', response: Type.Array(BackupSchema) }),
  route({ method: 'post', path: `${AD}/backups`, status: 201, body: Empty, response: BackupSchema, summary: 'Capture a backup now: pg_dump -Fc verified with pg_restore --list, or an RDB (redis-cli --rdb) verified with redis-check-rdb; a failure is 500 backup_failed (and recorded)' }),
  route({ method: 'get', path: `${AD}/backups/{backup}`, summary: 'One backup, by id or name', response: BackupSchema }),
  route({ method: 'get', path: `${AD}/backups/{backup}/download`, summary: 'The backup file (pg_dump custom format, or RDB), checked against its sha256 first', raw: 'application/octet-stream' }),
  route({
    method: 'post', path: `${AD}/restores`, status: 201, body: RestoreBody,
    response: Type.Object({ addon: AddonRef, backup: BackupSchema, status: Type.Literal('succeeded') }),
    summary: "Replace the database's contents with a backup of the same kind, all or nothing (Redis: the server replicates the RDB from a temporary server); a damaged backup is marked failed and nothing is restored (422)",
  }),
  route({ method: 'get', path: `${AD}/backup-schedule`, summary: 'The daily backup schedule', response: ScheduleSchema }),
  route({ method: 'put', path: `${AD}/backup-schedule`, body: ScheduleBody, response: ScheduleSchema, summary: 'Back up daily at a time of day (UTC); keeps the last 7 daily and 4 weekly' }),
  route({ method: 'delete', path: `${AD}/backup-schedule`, response: ScheduleSchema, summary: 'Stop scheduled backups; answers the schedule that was' }),
];
