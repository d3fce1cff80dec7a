// Test helpers for the HTTPS side: certificates from a throwaway CA, HTTPS requests with SNI,
// and the certificate a server presents for a name.
import https from 'node:https';
import tls from 'node:tls';
import { makeCertificate, type PemPair } from '../common/x509.ts';

export interface TestPki {
  ca: PemPair;
  issue(hosts: string[]): Promise<PemPair>;
}

export async function testPki(): Promise<TestPki> {
  const ca = await makeCertificate({ hosts: ['paas test CA'], ca: true });
  return { ca, issue: (hosts) => makeCertificate({ hosts, issuer: ca }) };
}

/** The SANs of the certificate the server presents for `servername` (undefined: no SNI). */
export function presentedNames(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const names = socket.getPeerCertificate().subjectaltname ?? '';
      socket.end();
      resolve(names);
    });
    socket.on('error', reject);
  });
}

export interface SecureReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  authorized: boolean;
}

export function secureRequest(port: number, opts: {
  servername: string; host?: string; path?: string; method?: string; headers?: Record<string, string>; body?: string; ca: string;
}): Promise<SecureReply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, servername: opts.servername, ca: opts.ca, agent: false,
      path: opts.path ?? '/', method: opts.method ?? 'GET',
      headers: { host: opts.host ?? opts.servername, ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(),
        authorized: (res.socket as tls.TLSSocket).authorized,
      }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
