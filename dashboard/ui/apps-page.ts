// The apps list: each app the user may see (owner, collaborator, admin: the API decides), with its
// state, dyno counts, last release and a request-rate sparkline of the last hour.
import { html } from 'htm/preact';
import { useApi } from './hooks.ts';
import { ago, appState, dynoCounts } from './format.ts';
import { Link } from './nav.ts';
import { Sparkline } from './sparkline.ts';
import type { App, Dyno, Metrics, Release } from './types.ts';

function AppRow({ app }: { app: App }) {
  // About 240 requests an hour per app listed (the rate limit is 4500 an hour).
  const dynos = useApi<Dyno[]>(`/apps/${app.name}/dynos`, 30_000);
  const releases = useApi<Release[]>(`/apps/${app.name}/releases`, 60_000);
  const metrics = useApi<Metrics>(`/apps/${app.name}/metrics`, 60_000);
  const last = releases.data?.at(-1);
  const formation = dynos.data?.filter((d) => d.type !== 'run') ?? null;
  return html`<tr data-testid="app-row" data-app=${app.name}>
    <td><${Link} href=${`/dashboard/apps/${app.name}`}>${app.name}</${Link}></td>
    <td><span class=${`state state-${formation ? appState(app.maintenance, formation) : 'unknown'}`}>${formation ? appState(app.maintenance, formation) : '…'}</span></td>
    <td>${formation ? dynoCounts(formation) : '…'}</td>
    <td>${last ? html`v${last.version} <span class="muted">${last.description} · ${ago(last.created_at)}</span>` : '—'}</td>
    <td>${metrics.data ? html`<${Sparkline} values=${metrics.data.points.map((p) => p.requests)} />` : ''}</td>
  </tr>`;
}

export function AppsPage() {
  const apps = useApi<App[]>('/apps', 60_000);
  if (apps.error) return html`<p class="error">${apps.error}</p>`;
  if (!apps.data) return html`<p class="muted">Loading…</p>`;
  if (apps.data.length === 0) return html`<p>No apps yet: <code>paas apps:create NAME</code>, then <code>git push</code>.</p>`;
  return html`<section><h2>Apps</h2>
    <table class="grid" data-testid="apps"><thead><tr><th>App</th><th>State</th><th>Dynos</th><th>Last release</th><th>Requests (1 h)</th></tr></thead>
    <tbody>${apps.data.map((a) => html`<${AppRow} key=${a.id} app=${a} />`)}</tbody></table>
  </section>`;
}
