// A git push, as the pre-receive hook hands it over (http/internal-push.ts): the app it goes to
// and the user it is credited to. The hook was authorised by its secret; the git server checked
// that the pushing user is a member (services/access.ts isMember).
import { NotFoundError } from '../../common/errors.ts';
import { findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { findUserById } from '../store/users.ts';

export function pushedApp(db: Db, name: string): App {
  const app = findApp(db, name);
  if (!app) throw new NotFoundError(`No such app as ${name}.`);
  return app;
}

/** The pushing user when known (git/pushers.ts), else the app's owner. */
export const pushCreditedTo = (db: Db, app: App, pusherId: string | null | undefined): User | null => findUserById(db, pusherId ?? app.owner_id);
