import { randomUUID } from 'node:crypto';
import { now, type Db } from './db.ts';

export interface Domain { id: string; app_id: string; hostname: string; created_at: string }

export function addDomain(db: Db, appId: string, hostname: string): Domain {
  const d: Domain = { id: randomUUID(), app_id: appId, hostname, created_at: now() };
  db.prepare('INSERT INTO domains (id, app_id, hostname, created_at) VALUES (?, ?, ?, ?)').run(d.id, d.app_id, d.hostname, d.created_at);
  return d;
}

export function findDomain(db: Db, hostname: string): Domain | null {
  return (db.prepare('SELECT * FROM domains WHERE hostname = ?').get(hostname) as unknown as Domain | undefined) ?? null;
}

export function listDomains(db: Db, appId?: string): Domain[] {
  return (appId
    ? db.prepare('SELECT * FROM domains WHERE app_id = ? ORDER BY hostname').all(appId)
    : db.prepare('SELECT * FROM domains ORDER BY hostname').all()) as unknown as Domain[];
}

export function removeDomain(db: Db, appId: string, hostnameOrId: string): boolean {
  return Number(db.prepare('DELETE FROM domains WHERE app_id = ? AND (hostname = ? OR id = ?)').run(appId, hostnameOrId, hostnameOrId).changes) > 0;
}
