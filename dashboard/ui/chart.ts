// A time chart drawn by uPlot (bundled, no CDN): one or more series over the same times.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** `points`: mark each value (for series with gaps, where a lone value draws no line). */
export interface Series { label: string; values: Array<number | null>; color: string; points?: boolean }

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
export const color = (i: number): string => COLORS[i % COLORS.length];

export function Chart({ title, times, series, unit, summary, testId }: { title: string; times: number[]; series: Series[]; unit: string; summary: string; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('\u0000');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data = [times, ...series.map((s) => s.values)] as uPlot.AlignedData;
    if (plot.current && plot.current.series.length === series.length + 1) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    plot.current = new uPlot({
      width: Math.max(260, el.clientWidth || 420), height: 160, legend: { show: series.length > 1 },
      scales: { y: { range: (_u, min, max) => [Math.min(0, min), Math.max(max, 1)] } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => `${v}${unit}`), size: 60 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false, points: s.points ? { show: true, size: 5, fill: s.color } : {} }))],
    }, data, el);
  }, [times, series, shape]);
  useEffect(() => () => { plot.current?.destroy(); plot.current = null; }, []);
  return html`<figure class="chart" data-testid=${testId}>
    <figcaption><span>${title}</span> <span class="muted" data-testid=${`${testId}-summary`}>${summary}</span></figcaption>
    <div ref=${box}></div>
  </figure>`;
}
