import { EventEmitter } from "node:events";

/**
 * Lets a caller wait for a sandbox's status to change. Changes made by this
 * process wake waiters at once; changes made by another controlplane are
 * seen by polling, so waiting works the same with N instances.
 */
export interface StatusWatch {
  /** Called after this process changed the sandbox's row. */
  notify(sandboxId: string): void;
  /**
   * Re-reads with `read` until `done` says so, the timeout passes or the
   * signal aborts; resolves with the last value read.
   */
  waitUntil<T>(
    sandboxId: string,
    read: () => Promise<T>,
    done: (value: T) => boolean,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<T>;
}

export function createStatusWatch(pollMs = 500): StatusWatch {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  return {
    notify(sandboxId) {
      emitter.emit(sandboxId);
    },

    async waitUntil(sandboxId, read, done, { timeoutMs, signal }) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        const remaining = deadline - Date.now();
        if (done(value) || remaining <= 0 || signal?.aborted) return value;
        await new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            emitter.off(sandboxId, finish);
            signal?.removeEventListener("abort", finish);
            resolve();
          };
          const timer = setTimeout(finish, Math.min(pollMs, remaining));
          emitter.on(sandboxId, finish);
          signal?.addEventListener("abort", finish, { once: true });
        });
      }
    },
  };
}
