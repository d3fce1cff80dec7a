// An app's domains and its certificates (SNI endpoints, uploaded or ACME).
import { html } from 'htm/preact';
import { useApi } from './hooks.ts';
import type { Domain, SniEndpoint } from './types.ts';

export function DomainsSection({ app }: { app: string }) {
  const domains = useApi<Domain[]>(`/apps/${app}/domains`, 0);
  const certs = useApi<SniEndpoint[]>(`/apps/${app}/sni-endpoints`, 0);
  return html`<section data-testid="domains"><h3>Domains and certificates</h3>
    <table class="grid"><thead><tr><th>Domain</th><th>Kind</th><th>Status</th><th>CNAME</th></tr></thead><tbody>
      ${(domains.data ?? []).map((d) => html`<tr><td>${d.hostname}</td><td>${d.kind}</td><td>${d.status}</td><td>${d.cname ?? '—'}</td></tr>`)}
    </tbody></table>
    ${certs.data && certs.data.length === 0 ? html`<p class="muted">No certificate of its own: HTTPS uses the platform's default certificate.</p>` : ''}
    ${(certs.data ?? []).length ? html`<table class="grid"><thead><tr><th>Certificate</th><th>Domains</th><th>Issuer</th><th>Expires</th></tr></thead><tbody>
      ${(certs.data ?? []).map((c) => html`<tr><td>${c.name}${c.ssl_cert.acm ? ' (ACME)' : ''}</td><td>${c.domains.join(', ')}</td>
        <td>${c.ssl_cert.self_signed ? 'self-signed' : c.ssl_cert.issuer}</td><td>${c.ssl_cert.expires_at.slice(0, 10)}</td></tr>`)}
    </tbody></table>` : ''}
  </section>`;
}
