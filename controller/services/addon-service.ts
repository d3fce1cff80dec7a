// The add-on system as the controller wires it: lifecycle and attachments (addons.ts), what
// users do with a running add-on (addon-ops.ts), interactive clients (addon-client.ts), and the
// background work: the supervisor that restarts stopped servers, scheduled backups and the
// pruning of expired ones.
import { errorMessage } from '../../common/errors.ts';
import { deleteAttachment, listAddons, listAttachments } from '../store/addons.ts';
import type { App } from '../store/types.ts';
import { findUserById } from '../store/users.ts';
import { createAddonClients, type AddonClients } from './addon-client.ts';
import { createAddonOps, type AddonOps } from './addon-ops.ts';
import { createAddonCore, type AddonCore, type AddonDeps } from './addons.ts';

export interface AddonService {
  core: AddonCore;
  ops: AddonOps;
  clients: AddonClients;
  /** Before an app is destroyed: its add-ons are destroyed (final backups kept), and it is
   *  detached from the add-ons of other apps. */
  beforeAppDestroy(app: App): Promise<void>;
  start(): void;
  close(): void;
}

export function createAddonService(deps: AddonDeps): AddonService {
  const core = createAddonCore(deps);
  const ops = createAddonOps(deps, core);
  const clients = createAddonClients({ ...core.docker, db: deps.db, runs: deps.runs, timeLimitSec: deps.runTimeLimitSec });
  const running: Array<{ close(): void }> = [];
  return {
    core,
    ops,
    clients,
    async beforeAppDestroy(app) {
      const owner = findUserById(deps.db, app.owner_id);
      if (!owner) return;
      // Its own attachments go without a release (the app is going); then its add-ons.
      for (const a of listAttachments(deps.db, { appId: app.id })) deleteAttachment(deps.db, a.id);
      for (const addon of listAddons(deps.db, { appId: app.id })) await core.destroy(owner, app, addon.id);
    },
    start() {
      running.push(core.supervise(), ops.startTimers());
      // What an earlier controller left: sessions and jobs, an interrupted Redis restore.
      void (async () => {
        const removed = await clients.sweep();
        if (removed) deps.log(`removed ${removed} client or job container(s) left by an earlier controller`);
        await ops.recoverRestores();
      })().catch((err: unknown) => deps.log(`start-up clean-up: ${errorMessage(err)}`));
    },
    close() {
      for (const r of running.splice(0)) r.close();
    },
  };
}
