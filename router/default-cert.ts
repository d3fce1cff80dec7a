// The certificate the HTTPS listener presents when no uploaded one matches: the operator's
// (PAAS_TLS_CERT / PAAS_TLS_KEY, normally a wildcard for *.<domain>), else a self-signed one
// for *.<domain> made at first start and kept in $PAAS_DATA_DIR/tls (key mode 0600).
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config.ts';
import { certificateInfo, keyMatches, makeCertificate, type PemPair } from '../common/x509.ts';

export async function loadDefaultCertificate(config: Config, log: (line: string) => void = () => {}): Promise<PemPair> {
  if (config.tlsCertFile || config.tlsKeyFile) {
    const pair = { cert: fs.readFileSync(config.tlsCertFile, 'utf8'), key: fs.readFileSync(config.tlsKeyFile, 'utf8') };
    if (!keyMatches(pair.cert, pair.key)) throw new Error(`PAAS_TLS_KEY is not the key of PAAS_TLS_CERT (${config.tlsCertFile})`);
    return pair;
  }
  const dir = path.join(config.dataDir, 'tls');
  const certFile = path.join(dir, 'default.crt');
  const keyFile = path.join(dir, 'default.key');
  const wanted = `*.${config.domain}`.toLowerCase();
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const pair = { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
    const info = certificateInfo(pair.cert);
    if (info.hosts.includes(wanted) && info.notAfter.getTime() > Date.now() + 86_400_000 && keyMatches(pair.cert, pair.key)) return pair;
  }
  const pair = await makeCertificate({ hosts: [wanted, config.domain.toLowerCase()], days: 825 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, pair.key, { mode: 0o600 });
  fs.writeFileSync(certFile, pair.cert);
  log(`made a self-signed certificate for ${wanted} in ${certFile} (set PAAS_TLS_CERT/PAAS_TLS_KEY for a real one)`);
  return pair;
}
