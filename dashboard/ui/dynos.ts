// An app's dynos (state, CPU, memory, node) and its formation with scale controls
// (PATCH /apps/{app}/formation/{type}, as `paas ps:scale`).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { mib, percent } from './format.ts';
import { useApi, whileBusy } from './hooks.ts';
import type { Dyno, Formation } from './types.ts';

function ScaleControl({ app, f }: { app: string; f: Formation }) {
  const [quantity, setQuantity] = useState(String(f.quantity));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('PATCH', `/apps/${app}/formation/${f.type}`, { quantity: Number(quantity) });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="inline" onSubmit=${submit} data-testid=${`scale-${f.type}`}>
    <label>${f.type} <input type="number" min="0" max="100" value=${quantity} name="quantity"
      onInput=${(e: Event) => setQuantity((e.target as HTMLInputElement).value)} /></label>
    <button type="submit" disabled=${busy}>${busy ? 'Scaling…' : 'Scale'}</button>
    <span class="muted">now ${f.quantity} × ${f.size}</span>
    ${error ? html`<span class="error">${error}</span>` : ''}
  </form>`;
}

export function DynosSection({ app }: { app: string }) {
  // Fast while a dyno is starting, restarting or stopping (a scale, a deploy, a crash loop).
  const dynos = useApi<Dyno[]>(`/apps/${app}/dynos`, whileBusy((ds) => ds.some((d) => d.state !== 'up' && d.state !== 'crashed'), 2000, 10_000));
  const formation = useApi<Formation[]>(`/apps/${app}/formation`, 30_000);
  return html`<section data-testid="dynos"><h3>Dynos</h3>
    ${dynos.error ? html`<p class="error">${dynos.error}</p>` : ''}
    <table class="grid"><thead><tr><th>Dyno</th><th>State</th><th>CPU</th><th>Memory</th><th>Node</th><th>Release</th></tr></thead><tbody>
      ${(dynos.data ?? []).map((d) => html`<tr data-testid="dyno" data-dyno=${d.name} data-state=${d.state} data-release=${d.release.version}>
        <td>${d.name}</td><td><span class=${`state state-${d.state}`}>${d.state}</span></td><td>${percent(d.cpu_percent)}</td>
        <td>${mib(d.memory_bytes)}${d.memory_limit_bytes ? html` <span class="muted">/ ${mib(d.memory_limit_bytes)}</span>` : ''}</td>
        <td>${d.node ?? '—'}</td><td>v${d.release.version}</td></tr>`)}
    </tbody></table>
    <div class="scale">${(formation.data ?? []).map((f) => html`<${ScaleControl} key=${f.type} app=${app} f=${f} />`)}</div>
  </section>`;
}
