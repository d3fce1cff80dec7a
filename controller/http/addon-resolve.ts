// Heroku's add-on resolvers, which the Heroku CLI's addons:* commands call first: an add-on or
// attachment given as the user wrote it (an add-on name or id, an attachment name such as
// REDIS on the app, app::NAME) becomes the matching resources, as an array.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { listAttachments, type Attachment } from '../store/addons.ts';
import { findApp } from '../store/apps.ts';
import { currentUser } from './auth.ts';
import { addonJson, attachmentJson } from './addons.ts';
import type { ApiDeps } from './deps.ts';
import type { AddonResolveBody, AttachmentResolveBody } from './schemas/addons.ts';

export function addonResolveRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;
  /** The attachments named `name` (REDIS, or app::REDIS) on `app` the user can see. */
  const attachmentsNamed = (res: Parameters<typeof currentUser>[0], name: string, appName: string | null | undefined): Attachment[] => {
    const [prefix, rest] = name.includes('::') ? name.split('::', 2) : [appName, name];
    const app = prefix ? findApp(db, prefix) : null;
    if (!app || !deps.apps.list(currentUser(res)).some((a) => a.id === app.id)) return [];
    return listAttachments(db, { appId: app.id }).filter((a) => a.name === rest.toUpperCase() || a.id === rest);
  };

  r.post('/actions/addons/resolve', (req, res) => {
    const body = req.body as Static<typeof AddonResolveBody>;
    const user = currentUser(res);
    const viaAttachment = attachmentsNamed(res, body.addon, body.app);
    const addon = viaAttachment.length ? deps.addons.core.find(user, viaAttachment[0].addon_id) : deps.addons.core.find(user, body.addon);
    res.json([addonJson(db, addon)]);
  });

  r.post('/actions/addon-attachments/resolve', (req, res) => {
    const body = req.body as Static<typeof AttachmentResolveBody>;
    let found = attachmentsNamed(res, body.addon_attachment, body.app);
    if (!found.length) {
      // An add-on's name: its attachments (on the app, when one is given).
      const addon = deps.addons.core.find(currentUser(res), body.addon_attachment);
      const app = body.app ? findApp(db, body.app) : null;
      found = listAttachments(db, { addonId: addon.id }).filter((a) => !app || a.app_id === app.id);
    }
    if (!found.length) throw new NotFoundError(`Couldn't find that add-on attachment: ${body.addon_attachment}.`);
    res.json(found.map((a) => attachmentJson(db, a)));
  });
  return r;
}
