import type { Logger } from "@wrenn/shared";

/**
 * Visible progress for long builds: every step logs when it starts and how
 * long it took, so a slow debootstrap is obviously the slow part.
 */
export interface Progress {
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  info(fields: Record<string, unknown>, message: string): void;
}

export function createProgress(logger: Logger): Progress {
  return {
    async step(name, run) {
      const started = performance.now();
      logger.info({ step: name }, "step started");
      try {
        const result = await run();
        logger.info({ step: name, ms: Math.round(performance.now() - started) }, "step done");
        return result;
      } catch (err) {
        logger.error({ step: name, ms: Math.round(performance.now() - started) }, "step failed");
        throw err;
      }
    },
    info(fields, message) {
      logger.info(fields, message);
    },
  };
}
