// An app's releases, newest first, with rollback (POST /apps/{app}/releases {release}: a new
// release of the old build and config, as `paas rollback`).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { ago } from './format.ts';
import { useApi, whileBusy } from './hooks.ts';
import type { Release } from './types.ts';

export function ReleasesSection({ app }: { app: string }) {
  const releases = useApi<Release[]>(`/apps/${app}/releases`, whileBusy((rs) => rs.some((r) => r.status === 'pending'), 2000, 15_000));
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rollback = async (r: Release) => {
    if (!confirm(`Roll ${app} back to v${r.version}?`)) return;
    setBusy(r.version);
    setError(null);
    try {
      await api('POST', `/apps/${app}/releases`, { release: r.id });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const list = [...(releases.data ?? [])].reverse().slice(0, 20);
  return html`<section data-testid="releases"><h3>Releases</h3>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <table class="grid"><thead><tr><th>Version</th><th>Description</th><th>Status</th><th>By</th><th>When</th><th></th></tr></thead><tbody>
    ${list.map((r) => html`<tr data-testid="release" data-version=${r.version}>
      <td>v${r.version}${r.current ? html` <span class="badge">current</span>` : ''}</td><td>${r.description}</td>
      <td><span class=${`state state-${r.status}`}>${r.status}</span></td><td>${r.user?.email ?? '—'}</td><td>${ago(r.created_at)}</td>
      <td>${!r.current && r.eligible_for_rollback ? html`<button type="button" onClick=${() => rollback(r)} disabled=${busy !== null}
        data-testid=${`rollback-v${r.version}`}>${busy === r.version ? 'Rolling back…' : 'Roll back'}</button>` : ''}</td>
    </tr>`)}
    </tbody></table>
  </section>`;
}
