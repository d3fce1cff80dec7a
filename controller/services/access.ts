// Who may do what to an app, in one place. Members (its owner, collaborators, admins) see it and
// deploy it; some actions are the owner's alone (or an admin's). Deploy tokens are narrowed
// further by their scope (http/auth.ts).
import { ForbiddenError, NotFoundError } from '../../common/errors.ts';
import { canAccess, findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { findUserById } from '../store/users.ts';

/** Actions only the owner (or an admin) may take, with the words the refusal uses. */
const OWNER_ONLY = { rename: 'rename it', destroy: 'destroy it', collaborators: 'manage collaborators' } as const;
export type OwnerAction = keyof typeof OWNER_ONLY;

export const isMember = (db: Db, user: User, app: App): boolean => canAccess(db, user, app);

/** Throws 403 unless the user may take this owner-only action on the app. */
export function requireOwner(user: User, app: App, action: OwnerAction): void {
  if (!user.admin && app.owner_id !== user.id) throw new ForbiddenError(`Only the app owner can ${OWNER_ONLY[action]}.`);
}

/** The app of that name or id if the user may see it, else 404 (existence is not leaked); given
 *  an owner-only action, 403 unless the user may take it. Every app route (http/deps.ts
 *  appParam), the attach websocket and deploy-token creation authorise through this. */
export function authorizeApp(db: Db, user: User, nameOrId: string, action?: OwnerAction): App {
  const app = findApp(db, nameOrId);
  if (!app || !isMember(db, user, app)) throw new NotFoundError(`Couldn't find that app: ${nameOrId}.`);
  if (action) requireOwner(user, app, action);
  return app;
}

/** The app of that id and the user of that id, if both still exist and the user is still a
 *  member (a credential issued earlier, e.g. a signed log session URL, is checked again). */
export function memberOfApp(db: Db, userId: string, appId: string): { app: App; user: User } | null {
  const app = findApp(db, appId);
  const user = findUserById(db, userId);
  return app && user && isMember(db, user, app) ? { app, user } : null;
}
