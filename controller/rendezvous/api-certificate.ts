// The certificate paasd's own TLS listeners present (the rendezvous listener for `heroku run`,
// and the API/git server over HTTPS when PAAS_API_TLS_PORT is set): the operator's
// (PAAS_API_TLS_CERT / PAAS_API_TLS_KEY), else a self-signed one made at first start and kept in
// $PAAS_DATA_DIR/api-tls (key mode 0600), for the API's host name, the rendezvous host, localhost
// and 127.0.0.1. Clients trust that file: NODE_EXTRA_CA_CERTS (the Heroku CLI), GIT_SSL_CAINFO (git).
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Config } from '../../common/config.ts';
import { keyMatches, makeCertificate, type PemPair } from '../../common/x509.ts';

export interface ApiCertificate extends PemPair {
  /** Where the certificate is (what clients are told to trust when it is self-signed). */
  certFile: string;
}

export const apiCertificateFile = (config: Config): string => path.join(config.dataDir, 'api-tls', 'api.crt');

/** The host put in rendezvous attach URLs: PAAS_RENDEZVOUS_HOST, else the API URL's. */
export const rendezvousHost = (config: Config): string => config.rendezvousHost || new URL(config.apiUrl).hostname.replace(/^\[|\]$/g, '');

/** The host names the platform's TLS clients connect to. */
function wantedHosts(config: Config): string[] {
  const hosts = [rendezvousHost(config), new URL(config.apiUrl).hostname.replace(/^\[|\]$/g, ''), 'localhost', '127.0.0.1'];
  return [...new Set(hosts.filter((h) => h !== '').map((h) => h.toLowerCase()))];
}

const covers = (cert: X509Certificate, host: string): boolean => (isIP(host) ? cert.checkIP(host) : cert.checkHost(host)) !== undefined;

export async function loadApiCertificate(config: Config, log: (line: string) => void = () => {}): Promise<ApiCertificate> {
  if (config.apiTlsCertFile || config.apiTlsKeyFile) {
    const pair = { cert: fs.readFileSync(config.apiTlsCertFile, 'utf8'), key: fs.readFileSync(config.apiTlsKeyFile, 'utf8') };
    if (!keyMatches(pair.cert, pair.key)) throw new Error(`PAAS_API_TLS_KEY is not the key of PAAS_API_TLS_CERT (${config.apiTlsCertFile})`);
    return { ...pair, certFile: config.apiTlsCertFile };
  }
  const certFile = apiCertificateFile(config);
  const keyFile = path.join(path.dirname(certFile), 'api.key');
  const hosts = wantedHosts(config);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const pair = { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
    const cert = new X509Certificate(pair.cert);
    if (hosts.every((h) => covers(cert, h)) && Date.parse(cert.validTo) > Date.now() + 86_400_000 && keyMatches(pair.cert, pair.key)) return { ...pair, certFile };
  }
  const pair = await makeCertificate({ hosts, days: 825 });
  fs.mkdirSync(path.dirname(certFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, pair.key, { mode: 0o600 });
  fs.writeFileSync(certFile, pair.cert);
  log(`made a self-signed certificate for ${hosts.join(', ')} in ${certFile} (set PAAS_API_TLS_CERT/PAAS_API_TLS_KEY for a real one)`);
  return { ...pair, certFile };
}
