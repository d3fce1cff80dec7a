// Off-boarding, as an admin does it: list users, disable one (every token stops working, API and
// git, until enabled again), delete one (with their tokens and collaborations; never while they
// own apps), and see or revoke anyone's tokens.
import { ConflictError, ForbiddenError, NotFoundError } from '../../common/errors.ts';
import type { Db } from '../store/db.ts';
import type { User } from '../store/types.ts';
import { deleteUser, findUserByEmail, findUserById, listTokens, listUsers, revokeAllTokens, setUserDisabled, type TokenInfo, type UserInfo } from '../store/users.ts';

export type { UserInfo } from '../store/users.ts';

export function requireAdmin(me: User): void {
  if (!me.admin) throw new ForbiddenError('Only admins can manage users.');
}

/** The user named by id or email; admins only. */
export function userParam(db: Db, me: User, idOrEmail: string): User {
  requireAdmin(me);
  const user = findUserById(db, idOrEmail) ?? findUserByEmail(db, idOrEmail);
  if (!user) throw new NotFoundError(`Couldn't find that user: ${idOrEmail}.`);
  return user;
}

/** Every user (admins only). */
export function allUsers(db: Db, me: User): UserInfo[] {
  requireAdmin(me);
  return listUsers(db);
}

/** Disables or enables a user (never oneself); the user after it. */
export function disableUser(db: Db, me: User, target: User, disabled: boolean): UserInfo {
  if (disabled && target.id === me.id) throw new ConflictError('You cannot disable yourself.');
  setUserDisabled(db, target.id, disabled);
  return userInfo(db, target);
}

export const userInfo = (db: Db, target: User): UserInfo => listUsers(db).find((u) => u.id === target.id)!;

export function removeUser(db: Db, me: User, target: User): void {
  if (target.id === me.id) throw new ConflictError('You cannot delete yourself.');
  const owned = db.prepare('SELECT name FROM apps WHERE owner_id = ? ORDER BY name').all(target.id) as Array<{ name: string }>;
  if (owned.length > 0) throw new ConflictError(`${target.email} owns ${owned.map((a) => a.name).join(', ')}: destroy those apps or transfer them first.`);
  deleteUser(db, target.id);
}

export const tokensOf = (db: Db, target: User): TokenInfo[] => listTokens(db, target.id);
export const revokeTokensOf = (db: Db, target: User): number => revokeAllTokens(db, target.id);

/** Id and email of a user, or null when there is none (deleted, or no id). */
export function userRef(db: Db, id: string | null): { id: string; email: string } | null {
  const u = id ? findUserById(db, id) : null;
  return u ? { id: u.id, email: u.email } : null;
}
