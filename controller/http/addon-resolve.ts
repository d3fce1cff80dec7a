// Heroku's add-on resolvers, which the Heroku CLI's addons:* commands call first: an add-on or
// attachment given as the user wrote it (an add-on name or id, an attachment name such as
// REDIS on the app, app::NAME) becomes the matching resources, as an array.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { NotFoundError } from '../../common/errors.ts';
import { attachmentsNamed, attachmentsOfAddonOn, type Attachment } from '../services/addon-listing.ts';
import { currentUser } from './auth.ts';
import { addonJson, attachmentJson } from './addons.ts';
import type { ApiDeps } from './deps.ts';
import type { AddonResolveBody, AttachmentResolveBody } from './schemas/addons.ts';

export function addonResolveRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;
  /** The attachments named `name` (REDIS, or app::REDIS) on `app` the user can see. */
  const named = (res: Parameters<typeof currentUser>[0], name: string, appName: string | null | undefined): Attachment[] =>
    attachmentsNamed(db, deps.apps.list(currentUser(res)), name, appName);

  r.post('/actions/addons/resolve', (req, res) => {
    const body = req.body as Static<typeof AddonResolveBody>;
    const user = currentUser(res);
    const viaAttachment = named(res, body.addon, body.app);
    const addon = viaAttachment.length ? deps.addons.core.find(user, viaAttachment[0].addon_id) : deps.addons.core.find(user, body.addon);
    res.json([addonJson(db, addon)]);
  });

  r.post('/actions/addon-attachments/resolve', (req, res) => {
    const body = req.body as Static<typeof AttachmentResolveBody>;
    let found = named(res, body.addon_attachment, body.app);
    if (!found.length) {
      // An add-on's name: its attachments (on the app, when one is given).
      found = attachmentsOfAddonOn(db, deps.addons.core.find(currentUser(res), body.addon_attachment), body.app);
    }
    if (!found.length) throw new NotFoundError(`Couldn't find that add-on attachment: ${body.addon_attachment}.`);
    res.json(found.map((a) => attachmentJson(db, a)));
  });
  return r;
}
