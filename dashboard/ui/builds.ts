// An app's builds; choosing one shows its output (GET /apps/{app}/builds/{id}/output).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { ago } from './format.ts';
import { useApi } from './hooks.ts';
import type { Build } from './types.ts';

export function BuildsSection({ app }: { app: string }) {
  const builds = useApi<Build[]>(`/apps/${app}/builds`, 30_000);
  const [open, setOpen] = useState<string | null>(null);
  const [output, setOutput] = useState<string>('');
  useEffect(() => {
    if (!open) return;
    setOutput('Loading…');
    api<string>('GET', `/apps/${app}/builds/${open}/output`).then((t) => setOutput(t), (e: Error) => setOutput(e.message));
  }, [open]);
  const list = [...(builds.data ?? [])].reverse().slice(0, 10);
  return html`<section data-testid="builds"><h3>Builds</h3>
    <table class="grid"><thead><tr><th>Build</th><th>Status</th><th>Version</th><th>By</th><th>When</th><th></th></tr></thead><tbody>
    ${list.map((b) => html`<tr data-testid="build"><td><code>${b.id.slice(0, 8)}</code></td><td><span class=${`state state-${b.status}`}>${b.status}</span></td>
      <td><code>${b.source_blob.version?.slice(0, 10) ?? '—'}</code></td><td>${b.user?.email ?? '—'}</td><td>${ago(b.created_at)}</td>
      <td><button type="button" class="small" onClick=${() => setOpen(open === b.id ? null : b.id)}>${open === b.id ? 'Hide log' : 'Log'}</button></td></tr>`)}
    </tbody></table>
    ${open ? html`<pre class="log" data-testid="build-log">${output}</pre>` : ''}
  </section>`;
}
