// One app: its state and URL, dynos with scaling, charts, releases with rollback, config vars,
// domains and certificates, builds with their logs, and the live log.
import { html } from 'htm/preact';
import { BuildsSection } from './builds.ts';
import { ChartsSection } from './charts.ts';
import { ConfigSection } from './config-vars.ts';
import { DomainsSection } from './domains.ts';
import { DynosSection } from './dynos.ts';
import { useApi } from './hooks.ts';
import { LogTail } from './log-tail.ts';
import { ReleasesSection } from './releases.ts';
import type { App } from './types.ts';

export function AppPage({ name }: { name: string }) {
  const app = useApi<App>(`/apps/${name}`, 60_000);
  if (app.error) return html`<p class="error" data-testid="app-error">${app.error}</p>`;
  if (!app.data) return html`<p class="muted">Loading…</p>`;
  const a = app.data;
  return html`<article data-testid="app" data-app=${a.name}>
    <h2>${a.name} ${a.maintenance ? html`<span class="badge">maintenance</span>` : ''}</h2>
    <p class="muted"><a href=${a.web_url} rel="noopener noreferrer" target="_blank">${a.web_url}</a> · owner ${a.owner?.email ?? '—'}</p>
    <div class="columns">
      <div>
        <${DynosSection} app=${a.name} />
        <${ReleasesSection} app=${a.name} />
        <${ConfigSection} app=${a.name} />
        <${DomainsSection} app=${a.name} />
        <${BuildsSection} app=${a.name} />
      </div>
      <div>
        <${ChartsSection} app=${a.name} />
        <${LogTail} app=${a.name} />
      </div>
    </div>
  </article>`;
}
