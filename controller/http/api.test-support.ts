// The API of a real controller for tests: SQLite, Redis and the HTTP stack are real; dynos run
// in the in-memory scheduler and the registry is a stub that keeps nothing.
import Dockerode from 'dockerode';
import request from 'supertest';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler, type MemoryScheduler } from '../scheduler/memory-scheduler.ts';
import type { RegistryClient } from '../services/registry.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertConfig } from '../store/configs.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';

export const nullRegistry: RegistryClient = { retag: async () => undefined, tags: async () => [], copyRepository: async () => [], deleteRepository: async () => undefined };

export interface ApiPlatform {
  ctl: ControllerHandle;
  scheduler: MemoryScheduler;
  /** The admin's Authorization header. */
  auth: string;
  api(): ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startApiPlatform(): Promise<ApiPlatform> {
  const config = testConfig();
  const scheduler = createMemoryScheduler();
  const ctl = await startController({ config, docker: new Dockerode(), scheduler, registry: nullRegistry, log: () => undefined });
  return {
    ctl, scheduler, auth: `Bearer ${readAdminToken(config)}`, api: () => request(ctl.server),
    async close() { await ctl.close(); removeDataDir(config); },
  };
}

/** v1 of an app as a push would leave it: a succeeded build (with these process types and
 *  buildpack config defaults) and its release, with an empty config. */
export function seedRelease(ctl: ControllerHandle, appName: string, build: { processTypes: Record<string, string>; configVars?: Record<string, string> }): void {
  const app = findApp(ctl.db, appName)!;
  const b = insertBuild(ctl.db, app.id, null, 'abc');
  finishBuild(ctl.db, b.id, { status: 'succeeded', image: `127.0.0.1:5000/${appName}:build-${b.id}`, ...build });
  const v1 = insertRelease(ctl.db, { appId: app.id, buildId: b.id, configId: insertConfig(ctl.db, app.id, {}).id, description: 'Deploy abc', userId: null });
  setReleaseStatus(ctl.db, v1.id, 'succeeded');
}
