// A bare client of an attached run's websocket (common/run-protocol.ts), for the tests that
// check who may attach and what comes back.
import WebSocket from 'ws';
import { RUN_PROTOCOL } from '../../common/run-protocol.ts';

const headers = (token: string | null) => (token ? { authorization: `Bearer ${token}` } : {});

/** The HTTP status of a refused attach; rejects if the socket opened (it attached). */
export function attachRefusal(url: string, token: string | null): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, RUN_PROTOCOL, { headers: headers(token) });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('open', () => { ws.terminate(); reject(new Error('attached')); });
    ws.on('error', () => undefined);
  });
}

/** Attaches, sends nothing, and collects the output (all channels) and the exit status. */
export function attachOutput(url: string, token: string): Promise<{ text: string; exit: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, RUN_PROTOCOL, { headers: headers(token) });
    let text = '';
    let exit = -1;
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) text += data.subarray(1).toString('utf8');
      else if ((JSON.parse(data.toString('utf8')) as { type: string }).type === 'exit') exit = (JSON.parse(data.toString('utf8')) as { code: number }).code;
    });
    ws.on('close', () => resolve({ text, exit }));
    ws.on('error', reject);
  });
}
