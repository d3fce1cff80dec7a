// How numbers and times read on the pages.
export function ago(iso: string | null): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const mib = (bytes: number | null | undefined): string => (bytes == null ? '—' : `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`);
export const percent = (p: number | null | undefined): string => (p == null ? '—' : `${p.toFixed(1)}%`);

/** "web: 2/2 up" per process type. */
export function dynoCounts(dynos: Array<{ type: string; state: string }>): string {
  const by = new Map<string, { up: number; all: number }>();
  for (const d of dynos) {
    const c = by.get(d.type) ?? { up: 0, all: 0 };
    c.all += 1;
    if (d.state === 'up') c.up += 1;
    by.set(d.type, c);
  }
  return [...by].map(([t, c]) => `${t}: ${c.up}/${c.all} up`).join(', ') || 'no dynos';
}

/** One word for an app: maintenance, crashed (a dyno crashed), up, starting, or idle. */
export function appState(maintenance: boolean, dynos: Array<{ state: string }>): string {
  if (maintenance) return 'maintenance';
  if (dynos.some((d) => d.state === 'crashed')) return 'crashed';
  if (dynos.length === 0) return 'idle';
  return dynos.every((d) => d.state === 'up') ? 'up' : 'starting';
}
