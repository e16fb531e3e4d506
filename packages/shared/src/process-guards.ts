import type { Logger } from "./logger.js";

/** Exit code of a service that stopped on an uncaught exception or unhandled rejection (EX_SOFTWARE). */
export const crashExitCode = 70;

/**
 * Every request is answered with a status inside its own call; what still
 * escapes is a bug that may have left the process in an unknown state. Log it
 * with its cause and exit non-zero, so a supervisor sees the crash and
 * restarts the service, instead of carrying on half-broken or dying silently.
 */
export function installProcessGuards(logger: Logger, onCrash?: () => void): void {
  let crashing = false;
  const crash = (err: unknown, what: string) => {
    if (crashing) return;
    crashing = true;
    try {
      logger.fatal({ err }, `${what}; exiting`);
      onCrash?.();
    } catch {
      process.stderr.write(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    // Give an asynchronous log destination a moment, never more.
    setTimeout(() => process.exit(crashExitCode), 200);
    try {
      logger.flush(() => process.exit(crashExitCode));
    } catch {
      process.exit(crashExitCode);
    }
  };
  process.on("uncaughtException", (err) => crash(err, "uncaught exception"));
  process.on("unhandledRejection", (reason) => crash(reason, "unhandled promise rejection"));
}
