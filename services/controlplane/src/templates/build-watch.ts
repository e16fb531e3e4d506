/**
 * Wakes WatchBuild callers in this process when their build has news (the
 * follower stored an event, or the build ended). Callers also poll the
 * database, so news from another controlplane copy arrives too, later.
 */
export interface BuildWatch {
  notify(buildId: string): void;
  /** Resolves at the next notify for the build, after `timeoutMs`, or when `signal` aborts. */
  next(buildId: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

export function createBuildWatch(): BuildWatch {
  const waiters = new Map<string, Set<() => void>>();
  return {
    notify(buildId) {
      const set = waiters.get(buildId);
      if (!set) return;
      waiters.delete(buildId);
      for (const wake of set) wake();
    },
    next(buildId, timeoutMs, signal) {
      return new Promise<void>((resolve) => {
        let set = waiters.get(buildId);
        if (!set) waiters.set(buildId, (set = new Set()));
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", wake);
          set.delete(wake);
          if (set.size === 0 && waiters.get(buildId) === set) waiters.delete(buildId);
          resolve();
        };
        const timer = setTimeout(wake, timeoutMs);
        signal.addEventListener("abort", wake, { once: true });
        set.add(wake);
      });
    },
  };
}
