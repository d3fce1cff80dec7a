// What users do with a running add-on: info, psql / redis-cli (one-shot, or a session a client
// attaches to), credential rotation, backups (list, capture, download, restore) and the daily
// backup schedule.
import fs from 'node:fs';
import { Router } from 'express';
import { NotFoundError, PaasError } from '../../common/errors.ts';
import type { ClientRequest } from '../services/addon-client.ts';
import type { Addon, Backup, BackupSchedule } from '../store/addons.ts';
import { currentUser } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { addonJson } from './addons.ts';
import { attachUrl } from './dyno-attach.ts';

/** A capture that failed: the backup is recorded as failed, and the call says so. */
class BackupFailedError extends PaasError {
  constructor(message: string) { super('backup_failed', 500, message); }
}

export function backupJson(addon: Addon, b: Backup) {
  return {
    id: b.id, name: b.name, addon: { id: addon.id, name: addon.name }, kind: b.kind, status: b.status, error: b.error,
    size: b.size, sha256: b.sha256, created_at: b.created_at, finished_at: b.finished_at, expires_at: b.expires_at,
  };
}

const scheduleJson = (addon: Addon, s: BackupSchedule) => ({ addon: { id: addon.id, name: addon.name }, at: s.at, timezone: s.timezone, last_run_at: s.last_run_at, created_at: s.created_at });

export function addonActionsRouter(deps: ApiDeps): Router {
  const r = Router();
  const addon = (p: unknown): string => String(p);

  r.get('/addons/:addon/info', async (req, res) => {
    res.json(await deps.addons.ops.info(currentUser(res), addon(req.params.addon)));
  });
  r.post('/addons/:addon/actions/psql', async (req, res) => {
    res.json(await deps.addons.ops.psql(currentUser(res), addon(req.params.addon), (req.body ?? {}) as Record<string, unknown>));
  });
  r.post('/addons/:addon/actions/redis-cli', async (req, res) => {
    res.json(await deps.addons.ops.redisCli(currentUser(res), addon(req.params.addon), (req.body ?? {}) as Record<string, unknown>));
  });
  // An interactive psql / redis-cli: created here, attached at attach_url (dyno-attach.ts) as a
  // `paas run` is; the process starts once its client is there.
  r.post('/addons/:addon/client-sessions', async (req, res) => {
    const user = currentUser(res);
    const a = deps.addons.core.find(user, addon(req.params.addon));
    const s = await deps.addons.clients.open(user, a, req.body as ClientRequest);
    res.status(201).json({
      name: s.name, client: s.client, tty: s.tty, addon: { id: a.id, name: a.name }, app: { id: s.app.id, name: s.app.name },
      attach_url: attachUrl(deps.config.apiUrl, s.app.name, s.name, s.secret),
    });
  });
  r.post('/addons/:addon/actions/rotate-credentials', async (req, res) => {
    res.json(addonJson(deps.db, await deps.addons.ops.rotate(currentUser(res), addon(req.params.addon))));
  });

  r.get('/addons/:addon/backups', (req, res) => {
    const { addon: a, backups } = deps.addons.ops.listBackups(currentUser(res), addon(req.params.addon));
    res.json(backups.map((b) => backupJson(a, b)));
  });
  r.post('/addons/:addon/backups', async (req, res) => {
    const user = currentUser(res);
    const a = deps.addons.core.find(user, addon(req.params.addon));
    const b = await deps.addons.ops.capture(user, a.id);
    if (b.status !== 'succeeded') throw new BackupFailedError(`Backup ${b.name} of ${a.name} failed: ${b.error}`);
    res.status(201).json(backupJson(a, b));
  });
  r.get('/addons/:addon/backups/:backup', (req, res) => {
    const { addon: a, backups } = deps.addons.ops.listBackups(currentUser(res), addon(req.params.addon));
    const b = backups.find((x) => x.id === req.params.backup || x.name === String(req.params.backup).toLowerCase());
    if (!b) throw new NotFoundError(`Couldn't find backup ${String(req.params.backup)} of ${a.name}.`);
    res.json(backupJson(a, b));
  });
  r.get('/addons/:addon/backups/:backup/download', async (req, res) => {
    const { file, size, backup, source } = await deps.addons.ops.download(currentUser(res), addon(req.params.addon), String(req.params.backup));
    const ext = source.service === 'heroku-redis' ? 'rdb' : 'dump';
    res.status(200).set({ 'content-type': 'application/octet-stream', 'content-length': String(size), 'content-disposition': `attachment; filename="${backup.name}.${ext}"` });
    fs.createReadStream(file).pipe(res);
  });
  r.post('/addons/:addon/restores', async (req, res) => {
    const body = (req.body ?? {}) as { backup?: unknown };
    const { addon: a, source, backup } = await deps.addons.ops.restore(currentUser(res), addon(req.params.addon), typeof body.backup === 'string' && body.backup ? body.backup : undefined);
    res.status(201).json({ addon: { id: a.id, name: a.name }, backup: backupJson(source, backup), status: 'succeeded' });
  });

  r.get('/addons/:addon/backup-schedule', (req, res) => {
    const user = currentUser(res);
    const a = deps.addons.core.find(user, addon(req.params.addon));
    const s = deps.addons.ops.getSchedule(user, a.id);
    if (!s) throw new NotFoundError(`${a.name} has no backup schedule.`);
    res.json(scheduleJson(a, s));
  });
  r.put('/addons/:addon/backup-schedule', (req, res) => {
    const user = currentUser(res);
    const a = deps.addons.core.find(user, addon(req.params.addon));
    res.json(scheduleJson(a, deps.addons.ops.schedule(user, a.id, (req.body as { at?: unknown } | undefined)?.at)));
  });
  r.delete('/addons/:addon/backup-schedule', (req, res) => {
    const user = currentUser(res);
    const a = deps.addons.core.find(user, addon(req.params.addon));
    res.json(scheduleJson(a, deps.addons.ops.unschedule(user, a.id)));
  });

  return r;
}
