// Add-ons, add-on attachments and the add-on service catalogue, in Heroku Platform API v3 shapes.
import type { Static } from '@sinclair/typebox';
import { Router } from 'express';
import { ADDON_SERVICES, attachmentVar, resolvePlan } from '../../common/addon-catalog.ts';
import { InvalidParamsError, NotFoundError } from '../../common/errors.ts';
import { authorizeApp } from '../services/access.ts';
import {
  addonById, addonOnApp, addonsOfApp, addonsVisibleTo, appRef, attachmentFor, attachmentsOfAddon, attachmentsToApps, attachmentsOfApp, type Addon, type Attachment,
} from '../services/addon-listing.ts';
import type { Db } from '../store/db.ts';
import { currentUser } from './auth.ts';
import { appParam, type ApiDeps } from './deps.ts';
import type { AddonCreateBody } from './schemas/addons.ts';

const EPOCH = '2026-01-01T00:00:00.000Z';

export function addonServiceJson(name: keyof typeof ADDON_SERVICES) {
  const s = ADDON_SERVICES[name];
  return {
    id: s.name, name: s.name, human_name: s.humanName, state: 'ga', cli_plugin_name: null,
    supports_multiple_installations: true, supports_sharing: true, plans: [{ id: s.plan, name: s.plan, version: s.version }],
    created_at: EPOCH, updated_at: EPOCH,
  };
}

export function addonJson(db: Db, addon: Addon) {
  const attachments = attachmentsOfAddon(db, addon);
  return {
    id: addon.id,
    name: addon.name,
    addon_service: { id: addon.service, name: addon.service },
    plan: { id: addon.plan, name: addon.plan, price: { cents: 0 as const, unit: 'month' as const } },
    app: appRef(db, addon.app_id),
    billing_entity: { ...appRef(db, addon.app_id), type: 'app' },
    state: addon.state,
    error: addon.error,
    config_vars: [...new Set(attachments.map((a) => attachmentVar(a.name)))],
    attachments: attachments.map((a) => ({ id: a.id, name: a.name, app: appRef(db, a.app_id) })),
    provider_id: addon.id,
    actions: [],
    billed_price: { cents: 0 as const, contract: false, unit: 'month' as const },
    web_url: null,
    created_at: addon.created_at,
    updated_at: addon.updated_at,
  };
}

export function attachmentJson(db: Db, a: Attachment) {
  const addon = addonById(db, a.addon_id);
  return {
    id: a.id,
    name: a.name,
    addon: addon ? { id: addon.id, name: addon.name, app: appRef(db, addon.app_id) } : { id: a.addon_id, name: null, app: null },
    app: appRef(db, a.app_id),
    config_vars: [attachmentVar(a.name)],
    namespace: null,
    web_url: null,
    log_input_url: null,
    created_at: a.created_at,
    updated_at: a.created_at,
  };
}

export function addonsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get('/addon-services', (_req, res) => {
    res.json(Object.keys(ADDON_SERVICES).map((n) => addonServiceJson(n as keyof typeof ADDON_SERVICES)));
  });
  // Heroku's plan list (addons:plans): one plan per service here, free.
  r.get('/addon-services/:service/plans', (req, res) => {
    const s = resolvePlan(String(req.params.service));
    if (!s) throw new NotFoundError(`Couldn't find that add-on service: ${String(req.params.service)}.`);
    const svc = ADDON_SERVICES[s.name];
    res.json([{
      id: svc.plan, name: svc.plan, human_name: svc.humanName, description: `${svc.humanName} ${svc.version}`, default: true, state: 'public',
      price: { cents: 0, unit: 'month', contract: false, metered: false }, addon_service: { id: svc.name, name: svc.name },
      created_at: EPOCH, updated_at: EPOCH,
    }]);
  });
  r.get('/addon-services/:service', (req, res) => {
    const s = resolvePlan(String(req.params.service));
    if (!s) throw new NotFoundError(`Couldn't find that add-on service: ${String(req.params.service)}.`);
    res.json(addonServiceJson(s.name));
  });

  r.get('/addons', (_req, res) => {
    const user = currentUser(res);
    res.json(addonsVisibleTo(db, deps.addons.core, user).map((a) => addonJson(db, a)));
  });
  r.get('/apps/:app/addons', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(addonsOfApp(db, app).map((a) => addonJson(db, a)));
  });
  r.post('/apps/:app/addons', async (req, res) => {
    const app = appParam(deps, req, res);
    const { plan, config, confirm: _confirm, ...rest } = (req.body ?? {}) as Static<typeof AddonCreateBody>;
    if (config && Object.keys(config).length) throw new InvalidParamsError(`Add-ons here take no provider options (${Object.keys(config).join(', ')}).`);
    const addon = await deps.addons.core.create(currentUser(res), app, { ...rest, plan: typeof plan === 'string' ? plan : plan.name });
    res.status(201).json(addonJson(db, addon));
  });
  r.get('/addons/:addon', (req, res) => {
    res.json(addonJson(db, deps.addons.core.find(currentUser(res), String(req.params.addon))));
  });
  r.get('/apps/:app/addons/:addon', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(addonJson(db, addonOnApp(db, deps.addons.core, currentUser(res), app, String(req.params.addon))));
  });
  r.delete('/apps/:app/addons/:addon', async (req, res) => {
    const app = appParam(deps, req, res);
    const force = (req.body as { force?: boolean } | undefined)?.force === true || req.query.force === 'true';
    const addon = await deps.addons.core.destroy(currentUser(res), app, String(req.params.addon), { force });
    res.json(addonJson(db, addon));
  });

  r.post('/addon-attachments', async (req, res) => {
    const user = currentUser(res);
    const body = (req.body ?? {}) as { app?: unknown; addon?: unknown; name?: unknown };
    if (typeof body.app !== 'string' || typeof body.addon !== 'string') throw new InvalidParamsError('Give "app" and "addon" (names or ids).');
    if (body.name !== undefined && typeof body.name !== 'string') throw new InvalidParamsError('"name" must be a string.');
    const app = authorizeApp(db, user, body.app);
    const attachment = await deps.addons.core.attach(user, app, deps.addons.core.owned(user, body.addon), body.name);
    res.status(201).json(attachmentJson(db, attachment));
  });
  r.get('/addon-attachments', (_req, res) => {
    const user = currentUser(res);
    res.json(attachmentsToApps(db, deps.apps.list(user)).map((a) => attachmentJson(db, a)));
  });
  r.get('/apps/:app/addon-attachments', (req, res) => {
    const app = appParam(deps, req, res);
    res.json(attachmentsOfApp(db, app).map((a) => attachmentJson(db, a)));
  });
  r.get('/addons/:addon/addon-attachments', (req, res) => {
    const addon = deps.addons.core.find(currentUser(res), String(req.params.addon));
    res.json(attachmentsOfAddon(db, addon).map((a) => attachmentJson(db, a)));
  });
  const attachmentParam = (id: string, user: ReturnType<typeof currentUser>): Attachment => attachmentFor(db, deps.addons.core, user, id);
  r.get('/addon-attachments/:id', (req, res) => {
    res.json(attachmentJson(db, attachmentParam(String(req.params.id), currentUser(res))));
  });
  r.delete('/addon-attachments/:id', async (req, res) => {
    const user = currentUser(res);
    const a = attachmentParam(String(req.params.id), user);
    const json = attachmentJson(db, a);
    await deps.addons.core.detach(user, a);
    res.json(json);
  });

  return r;
}
