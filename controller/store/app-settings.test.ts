import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../common/config.ts';
import { appSettingsProblem, defaultAppSettings, getAppSettings, setAppSettings } from './app-settings.ts';
import { deleteApp, insertApp } from './apps.ts';
import { openDb } from './db.ts';
import { createUser } from './users.ts';

test('app settings: platform defaults until set, null resets one, deleted with the app', () => {
  const db = openDb(':memory:');
  const defaults = defaultAppSettings(loadConfig({ PAAS_HEALTH_CHECK_PATH: '/health', PAAS_DRAIN_GRACE: '20' }));
  assert.deepEqual(defaults, { healthCheckPath: '/health', bootTimeoutSec: 60, drainGraceSec: 20 });
  const app = insertApp(db, 'hello', createUser(db, 'a@example.com', true).id);
  assert.deepEqual(getAppSettings(db, app.id, defaults), defaults);
  setAppSettings(db, app.id, { healthCheckPath: '/up', bootTimeoutSec: 5 });
  setAppSettings(db, app.id, { drainGraceSec: 0 });
  assert.deepEqual(getAppSettings(db, app.id, defaults), { healthCheckPath: '/up', bootTimeoutSec: 5, drainGraceSec: 0 });
  setAppSettings(db, app.id, { bootTimeoutSec: null });
  assert.deepEqual(getAppSettings(db, app.id, defaults), { healthCheckPath: '/up', bootTimeoutSec: 60, drainGraceSec: 0 });
  deleteApp(db, app.id);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM app_settings').get() as { n: number }).n, 0);
  db.close();
});

test('app settings: invalid patches are refused with a reason', () => {
  assert.equal(appSettingsProblem({ healthCheckPath: '/up?x=1', bootTimeoutSec: 600, drainGraceSec: null }), null);
  assert.match(appSettingsProblem({ healthCheckPath: 'up' }) ?? '', /must start with "\/"/);
  assert.match(appSettingsProblem({ healthCheckPath: '/a b' }) ?? '', /no spaces/);
  assert.match(appSettingsProblem({ bootTimeoutSec: 0 }) ?? '', /bootTimeoutSec must be an integer from 1 to 600/);
  assert.match(appSettingsProblem({ drainGraceSec: 1.5 }) ?? '', /drainGraceSec/);
  assert.match(appSettingsProblem({ grace: 3 }) ?? '', /Unknown setting grace/);
  assert.match(appSettingsProblem([]) ?? '', /object/);
  const db = openDb(':memory:');
  const app = insertApp(db, 'hello', createUser(db, 'a@example.com', true).id);
  assert.throws(() => setAppSettings(db, app.id, { bootTimeoutSec: -1 }), /bootTimeoutSec/);
  db.close();
});
