// Certificate helpers shared by the router (its default wildcard certificate), the controller
// (checking uploaded certificates) and tests (self-signed certificates and a small CA).
// Parsing uses node:crypto's X509Certificate; making certificates uses @peculiar/x509.
import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface PemPair { cert: string; key: string }

export interface CertificateOptions {
  /** DNS names (SANs); the first one is also the subject CN. */
  hosts: string[];
  days?: number;
  /** Signs with this CA instead of self-signing. */
  issuer?: PemPair;
  /** Marks the certificate as a CA (basicConstraints cA). */
  ca?: boolean;
  notBefore?: Date;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Makes an ECDSA P-256 certificate (self-signed unless `issuer` is given) and its key. */
export async function makeCertificate(opts: CertificateOptions): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.days ?? 825) * 86_400_000);
  const cn = opts.hosts[0] ?? 'paas';
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca === true, undefined, true),
    new x509.KeyUsagesExtension(opts.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true),
  ];
  if (!opts.ca) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (opts.hosts.length) extensions.push(new x509.SubjectAlternativeNameExtension(opts.hosts.map((h) => (/^[\d.]+$/.test(h) ? { type: 'ip', value: h } : { type: 'dns', value: h }))));
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
  let cert: x509.X509Certificate;
  if (opts.issuer) {
    const issuerCert = new x509.X509Certificate(opts.issuer.cert);
    const issuerKey = await importKey(opts.issuer.key);
    cert = await x509.X509CertificateGenerator.create({
      serialNumber, subject: `CN=${cn}`, issuer: issuerCert.subject, notBefore, notAfter,
      signingAlgorithm: ALG, publicKey: keys.publicKey, signingKey: issuerKey, extensions,
    });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber, name: `CN=${cn}`, notBefore, notAfter, signingAlgorithm: ALG, keys, extensions,
    });
  }
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

export interface CertificateInfo {
  /** DNS names it is valid for (SANs, else the CN), lowercase. */
  hosts: string[];
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  selfSigned: boolean;
  fingerprint256: string;
}

/** Reads the leaf of a PEM chain. Throws (without echoing the input) when it is not a certificate. */
export function certificateInfo(chainPem: string): CertificateInfo {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(splitPemChain(chainPem)[0] ?? '');
  } catch {
    throw new Error('not a PEM certificate');
  }
  const sans = (leaf.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1]?.toLowerCase();
  return {
    hosts: sans.length ? sans : cn ? [cn] : [],
    subject: leaf.subject,
    issuer: leaf.issuer,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    selfSigned: leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey),
    fingerprint256: leaf.fingerprint256,
  };
}

/** True when `key` is the private key of the chain's leaf certificate. */
export function keyMatches(chainPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(splitPemChain(chainPem)[0] ?? '').checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

export function splitPemChain(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Does a certificate for `pattern` ("a.b" or "*.b") cover `host`? A wildcard covers one label. */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}
