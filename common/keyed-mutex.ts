// Runs async work one at a time per key (e.g. one build or deploy per app at a time).

export interface KeyedMutex {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** How many tasks are running or waiting for this key. */
  pending(key: string): number;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  const counts = new Map<string, number>();
  return {
    run(key, fn) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const prev = tails.get(key) ?? Promise.resolve();
      const next = prev.catch(() => undefined).then(fn);
      const tail = next.catch(() => undefined).finally(() => {
        const n = (counts.get(key) ?? 1) - 1;
        if (n === 0) { counts.delete(key); tails.delete(key); } else counts.set(key, n);
      });
      tails.set(key, tail);
      return next;
    },
    pending: (key) => counts.get(key) ?? 0,
  };
}
