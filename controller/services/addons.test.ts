import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backup } from '../store/addons.ts';
import { expiredScheduled, isDue, lastSlot, parseScheduleAt } from './addon-backup-schedule.ts';
import { resolvePlan } from '../../common/addon-catalog.ts';

test('schedule times: "02:00 UTC" and "2:00" accepted, other zones and nonsense refused', () => {
  assert.deepEqual(parseScheduleAt('02:00 UTC'), { at: '02:00', timezone: 'UTC' });
  assert.deepEqual(parseScheduleAt('2:30'), { at: '02:30', timezone: 'UTC' });
  assert.equal(parseScheduleAt('24:00'), null);
  assert.equal(parseScheduleAt('02:00 America/New_York'), null);
  assert.equal(parseScheduleAt('soon'), null);
});

test('a daily backup is due once a slot passed since the last run', () => {
  const now = new Date('2026-03-10T01:30:00Z');
  assert.equal(lastSlot(now, '02:00').toISOString(), '2026-03-09T02:00:00.000Z');
  assert.equal(lastSlot(now, '01:30').toISOString(), '2026-03-10T01:30:00.000Z');
  assert.equal(isDue(now, '02:00', '2026-03-09T01:00:00Z'), true);
  assert.equal(isDue(now, '02:00', '2026-03-09T02:00:01Z'), false);
});

test('retention keeps the newest 7 daily and the newest of 4 earlier weeks; failed ones go after 7 days', () => {
  const day = (d: number, status: Backup['status'] = 'succeeded'): Backup => ({
    id: `${status}-${d}`, addon_id: 'a', num: d, name: `a${d}`, kind: 'scheduled', status, error: null, size: 1, sha256: 'x',
    created_at: new Date(Date.UTC(2026, 0, 1 + d, 2)).toISOString(), finished_at: null, expires_at: null,
  });
  const backups = Array.from({ length: 60 }, (_, i) => day(i));
  const now = new Date(Date.UTC(2026, 0, 61, 3));
  const expired = new Set(expiredScheduled([...backups, day(58, 'failed'), day(30, 'failed')], now).map((b) => b.id));
  const kept = backups.filter((b) => !expired.has(b.id)).map((b) => b.num);
  assert.deepEqual(kept.slice(-7), [53, 54, 55, 56, 57, 58, 59]);
  assert.equal(kept.length, 11, kept.join(','));
  assert.ok(expired.has('failed-30') && !expired.has('failed-58'));
  assert.deepEqual(expiredScheduled(backups.slice(0, 5), now), []);
});

test('plans: heroku-postgresql[:tier], postgresql, heroku-redis[:tier] and redis map to the local plans', () => {
  assert.equal(resolvePlan('heroku-postgresql:essential-0')?.name, 'heroku-postgresql');
  assert.equal(resolvePlan('postgresql')?.name, 'heroku-postgresql');
  assert.equal(resolvePlan('REDIS')?.name, 'heroku-redis');
  assert.equal(resolvePlan('heroku-redis:mini')?.name, 'heroku-redis');
  assert.equal(resolvePlan('mysql'), null);
  assert.equal(resolvePlan('heroku-postgresql:a:b'), null);
});

test('add-on subnets: the first free /26 of the pool, the server at .2', async () => {
  const { freeSubnet, serverAddress } = await import('./addon-subnets.ts');
  assert.equal(freeSubnet('10.213.0.0/16', []), '10.213.0.0/26');
  assert.equal(freeSubnet('10.213.0.0/16', ['10.213.0.0/26', '172.17.0.0/16', '10.213.0.64/27']), '10.213.0.128/26');
  assert.equal(freeSubnet('10.213.0.0/25', ['10.0.0.0/8']), null);
  assert.equal(serverAddress('10.213.1.64/26'), '10.213.1.66');
  assert.throws(() => freeSubnet('10.213.0.0/28', []), /PAAS_ADDON_SUBNETS/);
});
