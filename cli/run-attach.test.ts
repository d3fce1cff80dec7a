import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CHANNEL, dataFrame, RUN_PROTOCOL } from '../common/run-protocol.ts';
import { attachRun } from './run-attach.ts';

/** A terminal as the CLI sees it: raw mode switches are recorded. */
function fakeTerminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[], setRawMode(on: boolean) { stdin.modes.push(on); return stdin; } });
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 });
  let shown = '';
  stdout.on('data', (c: Buffer) => { shown += c.toString('utf8'); });
  return { stdin, stdout, shown: () => shown };
}

async function server(onSocket: (ws: WebSocket) => void): Promise<{ url: string; close(): void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => (p.has(RUN_PROTOCOL) ? RUN_PROTOCOL : false) });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', onSocket);
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/apps/a/dynos/run.1/attach/${'s'.repeat(32)}`, close: () => wss.close() };
}

test('a dropped connection restores the terminal and fails with one line', async () => {
  const s = await server((ws) => {
    ws.send(JSON.stringify({ type: 'started', dyno: 'run.1', tty: true }));
    ws.send(dataFrame(CHANNEL.stdout, Buffer.from('$ ')));
    setTimeout(() => ws.terminate(), 50); // the connection drops, no exit message
  });
  const t = fakeTerminal();
  const run = attachRun({ url: s.url, token: 't', tty: true, onStarted: () => undefined, stdin: t.stdin as never, stdout: t.stdout as never, stderr: t.stdout as never });
  await assert.rejects(run, /The connection closed before the process ended/);
  assert.deepEqual(t.stdin.modes, [true, false], 'raw mode on while attached, then off');
  assert.equal(t.shown(), '$ ');
  s.close();
});

test('keys go out as stdin frames, a resize as a control message; the exit status comes back', async () => {
  const got: string[] = [];
  const s = await server((ws) => {
    ws.on('message', (data: Buffer, binary: boolean) => {
      got.push(binary ? `${data[0]}:${data.subarray(1).toString('utf8')}` : data.toString('utf8'));
      if (got.length === 2) { ws.send(JSON.stringify({ type: 'exit', code: 3 })); ws.close(); }
    });
  });
  const t = fakeTerminal();
  const run = attachRun({ url: s.url, token: 't', tty: true, onStarted: () => undefined, stdin: t.stdin as never, stdout: t.stdout as never, stderr: t.stdout as never });
  await new Promise((r) => setTimeout(r, 100));
  t.stdin.write('\x03');
  await new Promise((r) => setTimeout(r, 50));
  t.stdout.columns = 120;
  t.stdout.emit('resize');
  assert.equal(await run, 3);
  assert.deepEqual(got, ['0:\x03', JSON.stringify({ type: 'resize', cols: 120, rows: 24 })]);
  assert.deepEqual(t.stdin.modes, [true, false]);
  s.close();
});
