// A request-rate sparkline as an SVG polyline (no script or style inside: CSP-safe).
import { html } from 'htm/preact';

export function Sparkline({ values, width = 120, height = 24 }: { values: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return html`<svg class="sparkline" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${`requests per minute, max ${max}`}>
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}
