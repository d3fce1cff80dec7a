// The platform's status (admins): which services answer, the build queue, the nodes.
import { html } from 'htm/preact';
import { useApi } from './hooks.ts';
import { ago } from './format.ts';
import type { PlatformStatus } from './types.ts';

interface Node { name: string; role: string; state: string; availability: string; dynos: number }

export function StatusPage() {
  const status = useApi<PlatformStatus>('/platform/status', 10_000);
  const nodes = useApi<Node[]>('/nodes', 15_000);
  if (status.error) return html`<p class="error">${status.error}</p>`;
  if (!status.data) return html`<p class="muted">Loading…</p>`;
  const q = status.data.build_queue;
  return html`<section data-testid="status"><h2>Platform status</h2>
    <table class="grid"><thead><tr><th>Service</th><th>State</th><th>Detail</th></tr></thead><tbody>
    ${status.data.services.map((s) => html`<tr data-testid="service" data-service=${s.name} data-up=${String(s.up)}><td>${s.name}</td>
      <td><span class=${`state state-${s.up ? 'up' : 'crashed'}`}>${s.up ? 'up' : 'down'}</span></td><td class="muted">${s.detail}</td></tr>`)}
    </tbody></table>
    <h3>Build queue</h3>
    ${q ? html`<p data-testid="queue">${q.waiting} waiting · ${q.active} running · ${q.delayed} delayed · ${q.failed} failed</p>` : html`<p class="muted">unknown</p>`}
    <h3>Nodes</h3>
    ${nodes.data ? html`<table class="grid"><thead><tr><th>Node</th><th>Role</th><th>State</th><th>Availability</th><th>Dynos</th></tr></thead><tbody>
      ${nodes.data.map((n) => html`<tr><td>${n.name}</td><td>${n.role}</td><td>${n.state}</td><td>${n.availability}</td><td>${n.dynos}</td></tr>`)}</tbody></table>` : ''}
    <p class="muted">Checked ${ago(status.data.checked_at)}.</p>
  </section>`;
}
