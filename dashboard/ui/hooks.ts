// Loading API data into a component, and again after `every` ms while it is shown (0: once).
// `every` may depend on the data (poll fast while something is changing, slowly otherwise):
// the API's rate limit (4500 requests an hour per account) is shared with the user's CLI. A
// hidden tab does not poll. After a change made on the page, everything loaded reloads.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, CHANGED } from './api.ts';

export interface Loaded<T> { data: T | null; error: string | null; reload: () => void }

export type Every<T> = number | ((data: T | null) => number);

export function useApi<T>(path: string, every: Every<T> = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    addEventListener(CHANGED, reload);
    return () => removeEventListener(CHANGED, reload);
  }, [reload]);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = (d: T | null) => {
      const ms = typeof every === 'function' ? every(d) : every;
      if (live && ms > 0) timer = setTimeout(() => (document.hidden ? schedule(d) : reload()), ms);
    };
    api<T>('GET', path).then(
      (d) => { if (live) { setData(d); setError(null); schedule(d); } },
      (e: Error) => { if (live) { setError(e.message); schedule(data); } },
    );
    return () => { live = false; clearTimeout(timer); };
  }, [path, tick]);
  return { data, error, reload };
}

/** Poll every `fast` ms while `busy(data)`, else every `slow` ms. */
export const whileBusy = <T>(busy: (data: T) => boolean, fast: number, slow: number): Every<T> =>
  (data) => (data !== null && busy(data) ? fast : slow);
