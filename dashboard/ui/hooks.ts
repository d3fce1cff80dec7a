// Loading API data into a component, again every `everyMs` (0: once) while it is shown.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

export interface Loaded<T> { data: T | null; error: string | null; reload: () => void }

export function useApi<T>(path: string, everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    api<T>('GET', path).then((d) => { if (live) { setData(d); setError(null); } }, (e: Error) => { if (live) setError(e.message); });
    const timer = everyMs > 0 ? setTimeout(reload, everyMs) : undefined;
    return () => { live = false; clearTimeout(timer); };
  }, [path, tick, everyMs]);
  return { data, error, reload };
}
