// When scheduled backups run (daily at HH:MM UTC) and which of them are kept (the last 7 daily
// and the newest of each of the 4 weeks before them). Pure functions of time.
import type { Backup } from '../store/addons.ts';

const DAY = 24 * 60 * 60 * 1000;

/** "02:00", "2:00 UTC", "02:00 Etc/UTC" -> { at: "02:00", timezone: "UTC" }; null if not that. */
export function parseScheduleAt(input: string): { at: string; timezone: string } | null {
  const m = /^\s*(\d{1,2}):(\d{2})(?:\s+(UTC|Etc\/UTC|GMT|Z))?\s*$/i.exec(input);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  return { at: `${String(h).padStart(2, '0')}:${m[2]}`, timezone: 'UTC' };
}

/** The latest time at or before `now` at which the daily schedule fires. */
export function lastSlot(now: Date, at: string): Date {
  const [h, m] = at.split(':').map(Number);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m);
  return new Date(today <= now.getTime() ? today : today - DAY);
}

/** A scheduled backup is due when a slot passed since the last run (or since it was scheduled). */
export function isDue(now: Date, at: string, since: string): boolean {
  return lastSlot(now, at).getTime() > new Date(since).getTime();
}

/** Monday 00:00 UTC of the week holding t. */
const weekOf = (t: number): number => {
  const d = new Date(t);
  const day = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - day * DAY;
};

/** The scheduled backups to delete: all but the newest 7 successful ones and, older than those,
 *  the newest of each of up to 4 weeks; failed scheduled backups go after 7 days. */
export function expiredScheduled(backups: Backup[], now: Date, daily = 7, weekly = 4): Backup[] {
  const scheduled = backups.filter((b) => b.kind === 'scheduled' && b.status !== 'running');
  const ok = scheduled.filter((b) => b.status === 'succeeded').sort((a, b) => b.created_at.localeCompare(a.created_at));
  const keep = new Set(ok.slice(0, daily).map((b) => b.id));
  const covered = new Set(ok.slice(0, daily).map((b) => weekOf(Date.parse(b.created_at))));
  let weeks = 0;
  for (const b of ok.slice(daily)) {
    const w = weekOf(Date.parse(b.created_at));
    if (covered.has(w)) continue;
    if (weeks >= weekly) break;
    covered.add(w);
    weeks++;
    keep.add(b.id);
  }
  return scheduled.filter((b) => !keep.has(b.id) && (b.status === 'succeeded' || now.getTime() - Date.parse(b.created_at) > 7 * DAY));
}
