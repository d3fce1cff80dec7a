// The benchmark's "floor": what Node itself costs for a proxy's system calls, without any HTTP.
// Each client connection is paired with one connection to the backend and the bytes are passed
// both ways as they come, unparsed, unchanged (so the one-request-at-a-time keep-alive traffic of
// wrk goes through as it would through a proxy: per request two reads and two writes, as the
// router and nginx make). HTTPS: TLS is ended here, as the router does. No routing, headers,
// request ids, access lines: the router's CPU per request minus this one's is its own work.
// Usage: floor.ts BACKEND_PORT CERT_FILE KEY_FILE; sends { http, https } (its ports) when listening.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const [backendPort, certFile, keyFile] = process.argv.slice(2);

function pair(client: net.Socket): void {
  const app = net.connect({ host: '127.0.0.1', port: Number(backendPort), noDelay: true });
  client.setNoDelay(true);
  client.on('data', (chunk: Buffer) => app.write(chunk));
  app.on('data', (chunk: Buffer) => client.write(chunk));
  client.on('close', () => app.destroy());
  app.on('close', () => client.destroy());
  client.on('error', () => undefined);
  app.on('error', () => undefined);
}

const plain = net.createServer(pair);
const secure = tls.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, pair);
const listening = (s: net.Server): Promise<number> => new Promise((resolve) => {
  s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
});
Promise.all([listening(plain), listening(secure)]).then(([http, https]) => process.send?.({ http, https }));
process.on('disconnect', () => process.exit(0));
