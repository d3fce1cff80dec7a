// An app's config vars: names shown, each value hidden until revealed.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useApi } from './hooks.ts';

export function ConfigSection({ app }: { app: string }) {
  const vars = useApi<Record<string, string>>(`/apps/${app}/config-vars`, 0);
  const [shown, setShown] = useState<Set<string>>(new Set());
  const toggle = (k: string) => setShown((s) => { const n = new Set(s); if (n.has(k)) n.delete(k); else n.add(k); return n; });
  const entries = Object.entries(vars.data ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return html`<section data-testid="config"><h3>Config vars</h3>
    ${vars.error ? html`<p class="error">${vars.error}</p>` : ''}
    ${vars.data && entries.length === 0 ? html`<p class="muted">None: <code>paas config:set KEY=value</code></p>` : ''}
    <table class="grid"><tbody>${entries.map(([k, v]) => html`<tr data-testid="config-var" data-key=${k}>
      <td><code>${k}</code></td>
      <td><code class="value">${shown.has(k) ? v : '••••••••'}</code></td>
      <td><button type="button" class="small" onClick=${() => toggle(k)}>${shown.has(k) ? 'Hide' : 'Reveal'}</button></td></tr>`)}
    </tbody></table>
  </section>`;
}
