import type { Logger } from "@wrenn/shared";

/**
 * A LIFO list of undo steps. Each create step registers how to undo itself
 * right after it succeeds; on failure `unwind` runs them newest first, and
 * keeps going when one fails so a broken step never strands the others.
 */
export interface CleanupStack {
  push(name: string, undo: () => Promise<void> | void): void;
  /** Runs every undo step, newest first; returns the names of steps that failed. */
  unwind(): Promise<string[]>;
  /** Drops the steps without running them (create succeeded; ownership moves on). */
  release(): Array<{ name: string; undo: () => Promise<void> | void }>;
}

export function createCleanupStack(logger: Logger): CleanupStack {
  let steps: Array<{ name: string; undo: () => Promise<void> | void }> = [];
  return {
    push(name, undo) {
      steps.push({ name, undo });
    },
    async unwind() {
      const failed: string[] = [];
      const pending = steps;
      steps = [];
      for (const step of pending.reverse()) {
        try {
          await step.undo();
        } catch (err) {
          failed.push(step.name);
          logger.error({ err, step: step.name }, "cleanup step failed");
        }
      }
      return failed;
    },
    release() {
      const taken = steps;
      steps = [];
      return taken;
    },
  };
}
