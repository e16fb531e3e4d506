import type { Logger } from "@wrenn/shared";
import type { BackgroundWorker } from "./extensions.js";

export interface RunningWorkers {
  /** Aborts every worker's signal and waits for each to settle, at most `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts each worker with a signal of its own. A worker that fails, or ends
 * before it was asked to, is logged and left stopped: one extension's broken
 * job must not take the API down with it.
 */
export function startWorkers(workers: BackgroundWorker[], logger: Logger): RunningWorkers {
  const abort = new AbortController();
  const running = workers.map((worker) => {
    const log = logger.child({ worker: worker.name });
    log.info("worker started");
    return runNow(worker, abort.signal).then(
      () => {
        if (abort.signal.aborted) log.info("worker stopped");
        else log.warn("worker ended on its own");
      },
      (err: unknown) => {
        if (abort.signal.aborted) log.info({ err }, "worker stopped with an error");
        else log.error({ err }, "worker failed; it is not restarted");
      },
    );
  });
  return {
    async stop(graceMs = 10_000) {
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), graceMs);
        timer.unref();
      });
      const outcome = await Promise.race([Promise.all(running), grace]);
      clearTimeout(timer);
      if (outcome === "late") logger.warn({ graceMs }, "workers still running at shutdown; leaving them");
    },
  };
}

/**
 * Starts the worker at once (a stop() right after start must find it
 * listening to its signal); one that throws before its first await fails
 * the same way as one that rejects.
 */
export function runNow(worker: BackgroundWorker, signal: AbortSignal): Promise<void> {
  try {
    return worker.run(signal);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
