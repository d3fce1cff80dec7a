// Add-ons, their attachments to apps, their backups and backup schedules (SQLite).
import { randomUUID } from 'node:crypto';
import type { AddonServiceName } from '../../common/addon-catalog.ts';
import { now, type Db } from './db.ts';

/** provisioning: container starting; provisioned: accepting connections; deprovisioned:
 *  destroyed (kept while its final backup is); failed: could not be provisioned. */
export type AddonState = 'provisioning' | 'provisioned' | 'deprovisioned' | 'failed';

export interface AddonCredentials {
  user: string; password: string; database: string;
  /** The add-on network's subnet and the server's fixed address in it (set when provisioned). */
  subnet?: string; host?: string;
}

export interface Addon {
  id: string;
  name: string;
  service: AddonServiceName;
  plan: string;
  /** The app it was created on (Heroku's billing app). */
  app_id: string;
  owner_id: string;
  state: AddonState;
  error: string | null;
  credentials: AddonCredentials;
  created_at: string;
  updated_at: string;
}

export interface Attachment { id: string; addon_id: string; app_id: string; name: string; created_at: string }

export type BackupKind = 'manual' | 'scheduled' | 'final';
export type BackupStatus = 'running' | 'succeeded' | 'failed';

export interface Backup {
  id: string;
  addon_id: string;
  num: number;
  /** b001 (capture), a001 (scheduled), f001 (final, before a destroy). */
  name: string;
  kind: BackupKind;
  status: BackupStatus;
  error: string | null;
  size: number | null;
  sha256: string | null;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
}

export interface BackupSchedule { addon_id: string; at: string; timezone: string; last_run_at: string | null; created_at: string }

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const toAddon = (r: Row): Addon => ({
  id: String(r.id), name: String(r.name), service: String(r.service) as AddonServiceName, plan: String(r.plan),
  app_id: String(r.app_id), owner_id: String(r.owner_id), state: String(r.state) as AddonState, error: str(r.error),
  credentials: JSON.parse(String(r.credentials)) as AddonCredentials, created_at: String(r.created_at), updated_at: String(r.updated_at),
});
const toAttachment = (r: Row): Attachment => ({
  id: String(r.id), addon_id: String(r.addon_id), app_id: String(r.app_id), name: String(r.name), created_at: String(r.created_at),
});
const toBackup = (r: Row): Backup => ({
  id: String(r.id), addon_id: String(r.addon_id), num: Number(r.num), name: String(r.name), kind: String(r.kind) as BackupKind,
  status: String(r.status) as BackupStatus, error: str(r.error), size: r.size === null ? null : Number(r.size), sha256: str(r.sha256),
  created_at: String(r.created_at), finished_at: str(r.finished_at), expires_at: str(r.expires_at),
});

export function insertAddon(db: Db, a: Pick<Addon, 'name' | 'service' | 'plan' | 'app_id' | 'owner_id' | 'credentials'>): Addon {
  const at = now();
  const id = randomUUID();
  db.prepare(`INSERT INTO addons (id, name, service, plan, app_id, owner_id, state, credentials, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, 'provisioning', ?, ?, ?)`)
    .run(id, a.name, a.service, a.plan, a.app_id, a.owner_id, JSON.stringify(a.credentials), at, at);
  return findAddon(db, id) as Addon;
}

/** A live add-on by id or name (deprovisioned ones only by id, or with withGone by name too). */
export function findAddon(db: Db, idOrName: string, withGone = false): Addon | null {
  const row = db.prepare(`SELECT * FROM addons WHERE id = ? OR (name = ? AND (? OR state != 'deprovisioned'))
                          ORDER BY state = 'deprovisioned', created_at DESC LIMIT 1`).get(idOrName, idOrName, withGone ? 1 : 0) as Row | undefined;
  return row ? toAddon(row) : null;
}

export function listAddons(db: Db, filter: { appId?: string; ids?: string[] } = {}): Addon[] {
  const rows = db.prepare(`SELECT * FROM addons WHERE state != 'deprovisioned' ORDER BY created_at`).all() as Row[];
  return rows.map(toAddon).filter((a) => (!filter.appId || a.app_id === filter.appId) && (!filter.ids || filter.ids.includes(a.id)));
}

export function listGoneAddons(db: Db): Addon[] {
  return (db.prepare(`SELECT * FROM addons WHERE state = 'deprovisioned'`).all() as Row[]).map(toAddon);
}

export function setAddonState(db: Db, id: string, state: AddonState, error: string | null = null): void {
  db.prepare('UPDATE addons SET state = ?, error = ?, updated_at = ? WHERE id = ?').run(state, error, now(), id);
}

export function setAddonCredentials(db: Db, id: string, credentials: AddonCredentials): void {
  db.prepare('UPDATE addons SET credentials = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(credentials), now(), id);
}

export function deleteAddon(db: Db, id: string): void {
  db.prepare('DELETE FROM addons WHERE id = ?').run(id);
}

export function insertAttachment(db: Db, a: Pick<Attachment, 'addon_id' | 'app_id' | 'name'>): Attachment {
  const row: Attachment = { id: randomUUID(), created_at: now(), ...a };
  db.prepare('INSERT INTO addon_attachments (id, addon_id, app_id, name, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(row.id, row.addon_id, row.app_id, row.name, row.created_at);
  return row;
}

export function findAttachment(db: Db, id: string): Attachment | null {
  const row = db.prepare('SELECT * FROM addon_attachments WHERE id = ?').get(id) as Row | undefined;
  return row ? toAttachment(row) : null;
}

export function listAttachments(db: Db, filter: { appId?: string; addonId?: string }): Attachment[] {
  const rows = db.prepare(`SELECT * FROM addon_attachments WHERE (? IS NULL OR app_id = ?) AND (? IS NULL OR addon_id = ?) ORDER BY created_at`)
    .all(filter.appId ?? null, filter.appId ?? null, filter.addonId ?? null, filter.addonId ?? null) as Row[];
  return rows.map(toAttachment);
}

export function deleteAttachment(db: Db, id: string): void {
  db.prepare('DELETE FROM addon_attachments WHERE id = ?').run(id);
}

const KIND_LETTER: Record<BackupKind, string> = { manual: 'b', scheduled: 'a', final: 'f' };

export function insertBackup(db: Db, addonId: string, kind: BackupKind, expiresAt: string | null = null): Backup {
  const next = db.prepare('SELECT COALESCE(MAX(num), 0) + 1 AS n FROM addon_backups WHERE addon_id = ?').get(addonId) as Row;
  const num = Number(next.n);
  const id = randomUUID();
  db.prepare(`INSERT INTO addon_backups (id, addon_id, num, name, kind, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`)
    .run(id, addonId, num, `${KIND_LETTER[kind]}${String(num).padStart(3, '0')}`, kind, now(), expiresAt);
  return findBackup(db, addonId, id) as Backup;
}

export function finishBackup(db: Db, id: string, result: { status: BackupStatus; error?: string | null; size?: number | null; sha256?: string | null }): void {
  db.prepare('UPDATE addon_backups SET status = ?, error = ?, size = ?, sha256 = ?, finished_at = ? WHERE id = ?')
    .run(result.status, result.error ?? null, result.size ?? null, result.sha256 ?? null, now(), id);
}

/** Marks a finished backup failed (its file was found damaged). */
export function failBackup(db: Db, id: string, error: string): void {
  db.prepare(`UPDATE addon_backups SET status = 'failed', error = ? WHERE id = ?`).run(error, id);
}

/** By id or by name (b001). */
export function findBackup(db: Db, addonId: string, idOrName: string): Backup | null {
  const row = db.prepare('SELECT * FROM addon_backups WHERE addon_id = ? AND (id = ? OR name = ?)').get(addonId, idOrName, idOrName.toLowerCase()) as Row | undefined;
  return row ? toBackup(row) : null;
}

export function listBackups(db: Db, addonId: string): Backup[] {
  return (db.prepare('SELECT * FROM addon_backups WHERE addon_id = ? ORDER BY num').all(addonId) as Row[]).map(toBackup);
}

export function deleteBackup(db: Db, id: string): void {
  db.prepare('DELETE FROM addon_backups WHERE id = ?').run(id);
}

/** Backups left running by a platform that stopped: they will never finish. */
export function failAbandonedBackups(db: Db): void {
  db.prepare(`UPDATE addon_backups SET status = 'failed', error = 'backup interrupted by a platform restart', finished_at = ? WHERE status = 'running'`).run(now());
}

export function getSchedule(db: Db, addonId: string): BackupSchedule | null {
  const row = db.prepare('SELECT * FROM addon_backup_schedules WHERE addon_id = ?').get(addonId) as Row | undefined;
  return row ? { addon_id: String(row.addon_id), at: String(row.at), timezone: String(row.timezone), last_run_at: str(row.last_run_at), created_at: String(row.created_at) } : null;
}

export function listSchedules(db: Db): BackupSchedule[] {
  return (db.prepare('SELECT addon_id FROM addon_backup_schedules').all() as Row[]).map((r) => getSchedule(db, String(r.addon_id)) as BackupSchedule);
}

export function setSchedule(db: Db, addonId: string, at: string, timezone: string): void {
  db.prepare(`INSERT INTO addon_backup_schedules (addon_id, at, timezone, last_run_at, created_at) VALUES (?, ?, ?, NULL, ?)
              ON CONFLICT (addon_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone`).run(addonId, at, timezone, now());
}

export function markScheduleRun(db: Db, addonId: string, at: string): void {
  db.prepare('UPDATE addon_backup_schedules SET last_run_at = ? WHERE addon_id = ?').run(at, addonId);
}

export function deleteSchedule(db: Db, addonId: string): boolean {
  return Number(db.prepare('DELETE FROM addon_backup_schedules WHERE addon_id = ?').run(addonId).changes) > 0;
}
