// The certificate bundle the controller publishes and the router serves over HTTPS (SNI).
// It travels apart from the route table, which is broadcast and may be logged: private keys
// live only under certBundleKey(prefix); certChannel(prefix) only carries the new version.
// Nothing that handles a bundle may log its contents (not even in a parse error).

export interface SniCertificate {
  /** Stable id (the controller's certificate id). */
  id: string;
  /** Host names this certificate answers for, lowercase; "*.example.com" for a wildcard. */
  hosts: string[];
  /** PEM chain, leaf first. */
  cert: string;
  /** PEM private key. */
  key: string;
}

export interface CertBundle {
  /** Monotonic, like the route table's. */
  version: number;
  certs: SniCertificate[];
}

/** Tokens are base64url (RFC 8555 §8.1). */
export const ACME_TOKEN = /^[A-Za-z0-9_-]{16,256}$/;
