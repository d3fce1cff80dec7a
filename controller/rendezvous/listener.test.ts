// The rendezvous listener against a real controller (SQLite, Redis, HTTP) whose one-offs run in
// the in-memory scheduler (a fake process that echoes its stdin and exits 0 at end of input,
// 129 on hangup): the protocol as the Heroku CLI speaks it, and what a client without the
// right secret gets (nothing).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { seedRelease, startApiPlatform, suitePlatform } from '../http/api.test-support.ts';
import type { OneOffRuns } from '../services/one-off-runs.ts';
import { apiCertificateFile } from './api-certificate.ts';
import { EXIT_MARKER, startRendezvous } from './listener.ts';
import { makeCertificate } from '../../common/x509.ts';

/** A TLS client of the listener that collects everything it receives. */
function connect(url: string, ca: string): { socket: tls.TLSSocket; received: () => string; closed: Promise<void> } {
  const u = new URL(url);
  const socket = tls.connect({ host: u.hostname, port: Number(u.port), ca });
  let data = '';
  socket.on('data', (c: Buffer) => { data += c.toString('utf8'); });
  socket.on('error', () => undefined);
  // Bounded: a connection the server keeps open fails the test instead of hanging it.
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the connection open; received ${JSON.stringify(data)}`)); }, 10_000);
    socket.on('close', () => { clearTimeout(timer); resolve(); });
  });
  closed.catch(() => undefined);
  return { socket, received: () => data, closed };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe('the rendezvous listener (attached heroku run)', () => {
  const p = suitePlatform({ app: 'rendez' });
  const ca = (): string => fs.readFileSync(apiCertificateFile(p.config), 'utf8');
  const run = async (body: object, userAgent = 'heroku-cli/11.10.0 linux-x64 node-v24'): Promise<{ name: string; attach_url: string }> => {
    if ((await p.api().get('/apps/rendez/releases').set('authorization', p.auth)).body.length === 0) seedRelease(p.ctl, 'rendez', { processTypes: { web: 'node s.js' } });
    const res = await p.api().post('/apps/rendez/dynos').set('authorization', p.auth).set('user-agent', userAgent).send({ attach: true, ...body }).expect(201);
    return res.body as { name: string; attach_url: string };
  };
  const running = async (name: string): Promise<boolean> => (await p.scheduler.list('rendez')).some((d) => d.name === name);

  test('the Heroku CLI gets a rendezvous URL; the secret line starts the run, bytes go both ways, end of input ends it and closes the connection', async () => {
    const r = await run({ command: 'cat', force_no_tty: true });
    assert.match(r.attach_url, new RegExp(`^rendezvous://127\\.0\\.0\\.1:${p.ctl.rendezvousPort}/[A-Za-z0-9_-]{32}$`));
    const c = connect(r.attach_url, ca());
    c.socket.write(`${new URL(r.attach_url).pathname.slice(1)}\r\n`);
    await until(() => c.received() === 'rendezvous\r\n', 'the rendezvous line');
    c.socket.write('hello\n');
    await until(() => c.received().endsWith('hello\n'), 'the echo');
    // Without a TTY, the CLI ends piped stdin with Ctrl-D: end of input, the process exits 0.
    c.socket.write('\u0004');
    await c.closed;
    assert.equal(c.received(), 'rendezvous\r\nhello\n');
    assert.equal(await running(r.name), false);

    // Single use: the same secret again gets one refusal line, and nothing ran.
    const again = connect(r.attach_url, ca());
    again.socket.write(`${new URL(r.attach_url).pathname.slice(1)}\r\n`);
    await again.closed;
    assert.match(again.received(), /^paas: no run is waiting for this secret/);
  });

  test('--exit-code: the status line is sent when the shell never printed it; with a TTY Ctrl-D is the terminal\'s and a closed connection hangs the run up', async () => {
    const x = await run({ command: `exit 3 ; echo "${EXIT_MARKER} $?"`, force_no_tty: true });
    const c = connect(x.attach_url, ca());
    c.socket.write(`${new URL(x.attach_url).pathname.slice(1)}\r\n`);
    await until(() => c.received() === 'rendezvous\r\n', 'the rendezvous line');
    c.socket.write('\u0004');
    await c.closed;
    assert.equal(c.received(), `rendezvous\r\n${EXIT_MARKER} 0\n`);

    const t = await run({ command: 'bash' });
    const tc = connect(t.attach_url, ca());
    tc.socket.write(`${new URL(t.attach_url).pathname.slice(1)}\r\n`);
    await until(() => tc.received() === 'rendezvous\r\n', 'the rendezvous line');
    tc.socket.write('\u0003\u0004');
    await until(() => tc.received().endsWith('\u0003\u0004'), 'the raw bytes');
    assert.equal(await running(t.name), true, 'Ctrl-D went to the terminal, not as end of input');
    tc.socket.end();
    await tc.closed;
    await until(() => !tc.socket.writable, 'closed');
    for (let i = 0; i < 100 && (await running(t.name)); i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(await running(t.name), false, 'hung up');
  });

  test('no way in without the run\'s secret: unknown, websocket-issued or malformed secrets get one refusal line and start nothing', async () => {
    const ws = await run({ command: 'cat', force_no_tty: true }, 'paas-cli');
    assert.match(ws.attach_url, /^ws:\/\//);
    const attempts = [randomBytes(24).toString('base64url'), ws.attach_url.split('/').pop()!, '../../etc/passwd', `${'A'.repeat(40)} extra`];
    for (const secret of attempts) {
      const c = connect(`rendezvous://127.0.0.1:${p.ctl.rendezvousPort}/`, ca());
      c.socket.write(`${secret}\r\n`);
      await c.closed;
      assert.match(c.received(), /^paas: no run is waiting for this secret[^\n]*\r\n$/, secret);
    }
    // The websocket run is still waiting for its own client.
    assert.equal((await p.scheduler.list('rendez')).find((d) => d.name === ws.name)?.state, 'starting');
    // A rendezvous secret on the websocket path is refused there too.
    const r = await run({ command: 'cat', force_no_tty: true });
    const secret = new URL(r.attach_url).pathname.slice(1);
    const res = await p.api().get(`/apps/rendez/dynos/${r.name}/attach/${secret}`).set('authorization', p.auth).set('upgrade', 'websocket').set('connection', 'upgrade')
      .set('sec-websocket-key', randomBytes(16).toString('base64')).set('sec-websocket-version', '13').set('sec-websocket-protocol', 'paas-run.v1').ok(() => true);
    assert.equal(res.status, 404);
  });

  test('a client that never names a run, or sends an endless line, is dropped; unnamed connections are capped per address', async () => {
    const cert = await makeCertificate({ hosts: ['127.0.0.1'] });
    const runs = { pending: () => null } as unknown as OneOffRuns;
    const rz = await startRendezvous({ runs, cert, bind: '127.0.0.1', port: 0, log: () => undefined, handshakeMs: 1500, maxUnnamedPerAddress: 2 });
    try {
      const url = rz.url('127.0.0.1', 'x');
      const silent = connect(url, cert.cert);
      const flood = connect(url, cert.cert);
      flood.socket.write('A'.repeat(300));
      await flood.closed;
      assert.equal(flood.received(), '');
      const second = connect(url, cert.cert);
      await new Promise((r) => second.socket.once('secureConnect', r));
      const third = connect(url, cert.cert); // two unnamed already: refused at once
      await third.closed;
      await silent.closed; // after the handshake time
      await second.closed;
      assert.equal(silent.received() + second.received() + third.received(), '');
    } finally {
      await rz.close();
    }
  });
});

test('with the listener off (PAAS_RENDEZVOUS_PORT=-1), the Heroku CLI gets one clear 422 and nothing is created', async () => {
  const p = await startApiPlatform({ rendezvousPort: -1 });
  try {
    await p.api().post('/apps').set('authorization', p.auth).send({ name: 'rendez-off' }).expect(201);
    seedRelease(p.ctl, 'rendez-off', { processTypes: { web: 'node s.js' } });
    const res = await p.api().post('/apps/rendez-off/dynos').set('authorization', p.auth).set('user-agent', 'heroku-cli/11.10.0 linux-x64')
      .send({ command: 'bash', attach: true }).expect(422);
    assert.equal(res.body.id, 'rendezvous_unsupported');
    assert.equal(p.ctl.rendezvousPort, null);
    assert.deepEqual(await p.scheduler.list('rendez-off'), []);
  } finally {
    await p.close();
  }
});
