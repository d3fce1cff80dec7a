// Who pushed which commit to which app: the git endpoint knows the user (it authenticated the
// request), the pre-receive hook that asks for the build only knows the app and the commit.
// Kept in memory for the few seconds between the two (entries expire after ten minutes); a
// push the controller no longer remembers (restarted meanwhile) is credited to the app's owner.

export interface Pushers {
  record(app: string, rev: string, userId: string): void;
  /** The user who pushed `rev` to `app` (and forgets it), or null. */
  take(app: string, rev: string): string | null;
}

const TTL_MS = 10 * 60 * 1000;
const MAX_ENTRIES = 10_000;

export function createPushers(now: () => number = Date.now): Pushers {
  const entries = new Map<string, { userId: string; at: number }>();
  const key = (app: string, rev: string): string => `${app}\n${rev}`;
  return {
    record(app, rev, userId) {
      for (const [k, e] of entries) {
        if (entries.size < MAX_ENTRIES && now() - e.at < TTL_MS) break;
        entries.delete(k);
      }
      entries.delete(key(app, rev));
      entries.set(key(app, rev), { userId, at: now() });
    },
    take(app, rev) {
      const e = entries.get(key(app, rev));
      entries.delete(key(app, rev));
      return e && now() - e.at < TTL_MS ? e.userId : null;
    },
  };
}
