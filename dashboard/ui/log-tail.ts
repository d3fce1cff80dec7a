// The app's live log: the API's log stream as server-sent events (EventSource sends the session
// cookie; the API answers text/event-stream to its Accept header). The last 500 lines are kept.
// When the stream breaks it is opened again without history (EventSource's own retry would ask
// for the last 50 lines again and show them twice).
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl } from './api.ts';

const KEEP = 500;

export function LogTail({ app }: { app: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState('connecting');
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = (history: number) => {
      source = new EventSource(apiUrl(`/apps/${app}/log-stream?tail=true&lines=${history}`));
      source.onopen = () => setState('live');
      source.onmessage = (e: MessageEvent<string>) => setLines((l) => [...l, e.data].slice(-KEEP));
      source.onerror = () => {
        source?.close();
        setState('reconnecting');
        retry = setTimeout(() => open(0), 3000);
      };
    };
    open(50);
    return () => { clearTimeout(retry); source?.close(); };
  }, [app]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return html`<section data-testid="logs"><h3>Logs <span class=${`badge log-${state}`} data-testid="log-state">${state}</span></h3>
    <pre class="log" ref=${box} data-testid="log-lines">${lines.map((l) => html`<div class="line">${l}</div>`)}</pre>
  </section>`;
}
