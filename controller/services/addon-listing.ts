// Which add-ons and attachments a user sees, as the add-on routes list and look them up: an
// add-on is seen by members of the app it was created on and of every app it is attached to;
// an attachment by members of its app. Not seen = 404 (existence is not leaked).
import { NotFoundError } from '../../common/errors.ts';
import { listAddons, listAttachments, type Addon, type Attachment } from '../store/addons.ts';
import { findApp } from '../store/apps.ts';
import type { Db } from '../store/db.ts';
import type { App, User } from '../store/types.ts';
import { memberOfApp } from './access.ts';
import type { AddonCore } from './addons.ts';

export type { Addon, Attachment } from '../store/addons.ts';

/** Id and name of an app, or null when it is gone. */
export function appRef(db: Db, id: string): { id: string; name: string } | null {
  const app = findApp(db, id);
  return app ? { id: app.id, name: app.name } : null;
}

export const addonById = (db: Db, id: string): Addon | null => listAddons(db, { ids: [id] })[0] ?? null;
export const attachmentsOfAddon = (db: Db, addon: Addon): Attachment[] => listAttachments(db, { addonId: addon.id });
export const attachmentsOfApp = (db: Db, app: App): Attachment[] => listAttachments(db, { appId: app.id });

/** Every attachment to one of these apps (those the user may see). */
export function attachmentsToApps(db: Db, apps: App[]): Attachment[] {
  const ids = new Set(apps.map((a) => a.id));
  return listAttachments(db, {}).filter((a) => ids.has(a.app_id));
}

/** The attachments named `name` (REDIS, or app::REDIS; or an attachment id) on the app of
 *  that name (`app::` wins over `appName`), if it is one of `visible` (the user's apps). */
export function attachmentsNamed(db: Db, visible: App[], name: string, appName: string | null | undefined): Attachment[] {
  const [prefix, rest] = name.includes('::') ? name.split('::', 2) : [appName, name];
  const app = prefix ? findApp(db, prefix) : null;
  if (!app || !visible.some((a) => a.id === app.id)) return [];
  return attachmentsOfApp(db, app).filter((a) => a.name === rest.toUpperCase() || a.id === rest);
}

/** An add-on's attachments; only the one on the app of that name or id when given. */
export function attachmentsOfAddonOn(db: Db, addon: Addon, appName: string | null | undefined): Attachment[] {
  const app = appName ? findApp(db, appName) : null;
  return attachmentsOfAddon(db, addon).filter((a) => !app || a.app_id === app.id);
}

/** Every live add-on the user may see. */
export function addonsVisibleTo(db: Db, core: AddonCore, user: User): Addon[] {
  return listAddons(db).filter((a) => { try { core.find(user, a.id); return true; } catch { return false; } });
}

/** The add-ons created on the app or attached to it. */
export function addonsOfApp(db: Db, app: App): Addon[] {
  const attached = new Set(attachmentsOfApp(db, app).map((a) => a.addon_id));
  return listAddons(db).filter((a) => a.app_id === app.id || attached.has(a.id));
}

/** An add-on the user sees that is created on or attached to the app; 404 otherwise. */
export function addonOnApp(db: Db, core: AddonCore, user: User, app: App, idOrName: string): Addon {
  const addon = core.find(user, idOrName);
  if (addon.app_id !== app.id && !attachmentsOfApp(db, app).some((a) => a.addon_id === addon.id)) {
    throw new NotFoundError(`Couldn't find that add-on on ${app.name}: ${idOrName}.`);
  }
  return addon;
}

/** An attachment to an app the user is a member of; 404 otherwise. */
export function attachmentFor(db: Db, core: AddonCore, user: User, id: string): Attachment {
  const a = core.findAttachment(id);
  if (!a || !memberOfApp(db, user.id, a.app_id)) throw new NotFoundError(`Couldn't find that add-on attachment: ${id}.`);
  return a;
}
