/**
 * One async mutex per key: create and destroy of the same sandbox never
 * interleave, while different sandboxes proceed in parallel.
 */
export interface KeyedLock {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await task();
      } finally {
        release();
        // Drop the entry when nobody queued behind us, so the map doesn't grow forever.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
