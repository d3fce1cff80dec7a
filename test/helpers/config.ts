// Configuration for a platform instance inside a test: temp data dir, random ports, a Redis
// prefix and a Docker label of its own (the runner removes anything labelled `paastest`, and
// the keys under `paastest-` prefixes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../common/config.ts';

/** The one test configuration (controller, builder and router tests alike); `overrides` wins.
 *  A temp data dir is made unless the overrides name one. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'paas-test-'));
  // Tests use buildpacks from temp dirs and tarballs from loopback servers, as an operator who
  // allows local buildpacks and private URLs (the tests of those policies turn them off), and
  // Dockerfiles FROM the tiny busybox image, as an operator who allows that image.
  const base = loadConfig({ PAAS_DOCKERFILE_IMAGES: 'paas/busybox:test', ...process.env, PAAS_ALLOW_LOCAL_BUILDPACKS: '1', PAAS_ALLOW_PRIVATE_URLS: '1', PAAS_DATA_DIR: dataDir });
  return {
    ...base,
    apiPort: 0,
    routerPort: 0,
    rendezvousPort: 0,
    redisPrefix: `paastest-${randomBytes(4).toString('hex')}`,
    label: 'paastest',
    bootTimeout: 20,
    ...overrides,
  };
}

export const readAdminToken = (config: Config): string =>
  fs.readFileSync(path.join(config.dataDir, 'admin.token'), 'utf8').trim();

export function removeDataDir(config: Config): void {
  fs.rmSync(config.dataDir, { recursive: true, force: true });
}
