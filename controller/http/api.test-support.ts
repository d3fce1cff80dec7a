// The API of a real controller for tests: SQLite, Redis and the HTTP stack are real; dynos run
// in the in-memory scheduler and the registry is a stub that keeps nothing.
import { after, before } from 'node:test';
import Dockerode from 'dockerode';
import request from 'supertest';
import { startController, type ControllerHandle } from '../index.ts';
import { createMemoryScheduler, type MemoryScheduler } from '../scheduler/memory-scheduler.ts';
import type { RegistryClient } from '../services/registry.ts';
import { findApp } from '../store/apps.ts';
import { finishBuild, insertBuild } from '../store/builds.ts';
import { insertConfig } from '../store/configs.ts';
import { insertRelease, setReleaseStatus } from '../store/releases.ts';
import type { Config } from '../../common/config.ts';
import { readAdminToken, removeDataDir, testConfig } from '../../test/helpers/config.ts';

export const nullRegistry: RegistryClient = { retag: async () => undefined, tags: async () => [], copyRepository: async () => [], deleteRepository: async () => undefined };

export interface ApiPlatform {
  config: Config;
  ctl: ControllerHandle;
  scheduler: MemoryScheduler;
  /** The admin's Authorization header. */
  auth: string;
  api(): ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startApiPlatform(overrides: Partial<Config> = {}): Promise<ApiPlatform> {
  const config = testConfig(overrides);
  const scheduler = createMemoryScheduler();
  const ctl = await startController({ config, docker: new Dockerode(), scheduler, registry: nullRegistry, log: () => undefined });
  return {
    config, ctl, scheduler, auth: `Bearer ${readAdminToken(config)}`, api: () => request(ctl.server),
    async close() { await ctl.close(); removeDataDir(config); },
  };
}

/** One platform for the enclosing describe: started before its tests (with an app of that name
 *  when given), closed after them. Its fields are there inside tests (not at describe time). */
export function suitePlatform(opts: { config?: Partial<Config>; app?: string } = {}): ApiPlatform {
  let p: ApiPlatform | undefined;
  const get = (): ApiPlatform => {
    if (!p) throw new Error('suitePlatform: the platform starts before the tests');
    return p;
  };
  before(async () => {
    p = await startApiPlatform(opts.config);
    if (opts.app) await p.api().post('/apps').set('authorization', p.auth).send({ name: opts.app }).expect(201);
  });
  after(async () => { await p?.close(); });
  return {
    get config() { return get().config; },
    get ctl() { return get().ctl; },
    get scheduler() { return get().scheduler; },
    get auth() { return get().auth; },
    api: () => get().api(),
    close: () => get().close(),
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
