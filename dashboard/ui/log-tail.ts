// The app's live log: the API's log stream as server-sent events (EventSource sends the session
// cookie; the API answers text/event-stream to its Accept header). The last 500 lines are kept.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl } from './api.ts';

const KEEP = 500;

export function LogTail({ app }: { app: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState('connecting');
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const source = new EventSource(apiUrl(`/apps/${app}/log-stream?tail=true&lines=50`));
    source.onopen = () => setState('live');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.onmessage = (e: MessageEvent<string>) => setLines((l) => [...l, e.data].slice(-KEEP));
    return () => source.close();
  }, [app]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return html`<section data-testid="logs"><h3>Logs <span class=${`badge log-${state}`} data-testid="log-state">${state}</span></h3>
    <pre class="log" ref=${box} data-testid="log-lines">${lines.map((l) => html`<div class="line">${l}</div>`)}</pre>
  </section>`;
}
