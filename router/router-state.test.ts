// The supervisor's last-known routes and certificates: only newer versions replace what it
// keeps, the file is written 0600 and read back by the next supervisor, a damaged file is
// ignored without quoting it (it holds private keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStateKeeper } from './router-state.ts';
import { route } from './router.test-support.ts';

const backend = { dyno: 'web.1', host: '127.0.0.1', port: 5001, release: 1 };
const table = (version: number) => ({ version, apps: [route('hello', [backend])] });
const certs = (version: number) => ({ version, certs: [{ id: 'c', hosts: ['a.example'], cert: 'CERT', key: `SECRET-KEY-${version}` }] });

test('keeps the newest table and bundle, writes them 0600 and the next keeper reads them back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-router-state-'));
  const file = path.join(dir, 'router', 'state.json');
  const keeper = createStateKeeper({ file, log: () => {}, writeDelayMs: 10 });
  keeper.offer({ table: table(5) });
  keeper.offer({ table: table(3), certs: certs(2) }); // an older table is not kept, the bundle is
  keeper.offer({ certs: certs(1) });
  assert.equal(keeper.current().table?.version, 5);
  assert.equal(keeper.current().certs?.version, 2);
  await keeper.flush();
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const next = createStateKeeper({ file, log: () => {} });
  assert.deepEqual(next.current(), { table: table(5), certs: certs(2) });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a damaged file is ignored and logged without its contents', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-router-state-'));
  const file = path.join(dir, 'state.json');
  const logged: string[] = [];
  fs.writeFileSync(file, '{"table": {"version": 1, "apps": [{"app": ""}]}, "certs": {"key": "SECRET-KEY"');
  assert.deepEqual(createStateKeeper({ file, log: (l) => logged.push(l) }).current(), {});
  fs.writeFileSync(file, JSON.stringify({ table: { version: 1, apps: 'x' }, certs: certs(1) }));
  assert.deepEqual(createStateKeeper({ file, log: (l) => logged.push(l) }).current(), {});
  assert.equal(logged.length, 2);
  for (const line of logged) assert.doesNotMatch(line, /SECRET/);
  assert.deepEqual(createStateKeeper({ file: path.join(dir, 'missing.json'), log: (l) => logged.push(l) }).current(), {});
  assert.equal(logged.length, 2, 'a missing file is a first start, not an error');
  fs.rmSync(dir, { recursive: true, force: true });
});
