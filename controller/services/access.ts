// Who may do what to an app, in one place. Members (its owner, collaborators, admins) see it and
// deploy it; some actions are the owner's alone (or an admin's). Deploy tokens are narrowed
// further by their scope (http/auth.ts).
import { ForbiddenError } from '../../common/errors.ts';
import { canAccess } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';

/** Actions only the owner (or an admin) may take, with the words the refusal uses. */
const OWNER_ONLY = { rename: 'rename it', destroy: 'destroy it', collaborators: 'manage collaborators' } as const;
export type OwnerAction = keyof typeof OWNER_ONLY;

export const isMember = (db: Db, user: User, app: App): boolean => canAccess(db, user, app);

/** Throws 403 unless the user may take this owner-only action on the app. */
export function requireOwner(user: User, app: App, action: OwnerAction): void {
  if (!user.admin && app.owner_id !== user.id) throw new ForbiddenError(`Only the app owner can ${OWNER_ONLY[action]}.`);
}
