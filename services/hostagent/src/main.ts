import { createLogger, installProcessGuards } from "@wrenn/shared";
import { startHostAgent } from "./agent.js";
import { loadHostAgentConfig } from "./config.js";
import { openLogFile, type LogFile } from "./host/log-file.js";
import { RegistrationAborted, RegistrationRefused } from "./credentials/register-with-controlplane.js";

let config;
try {
  config = loadHostAgentConfig();
} catch (err) {
  // Before a logger exists: one clear message naming every bad variable.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
// The one-time token stays in config only: no child process (QEMU, ip, nft, helpers) inherits it.
delete process.env.WRENN_REGISTRATION_TOKEN;
const logFile: LogFile | undefined = config.logFile ? openLogFile(config.logFile) : undefined;
const logger = createLogger("hostagent", { level: config.logLevel, destinations: logFile ? [logFile.stream] : [] });
installProcessGuards(logger, () => logFile?.close());
// Log rotation: the rotated file is renamed away, SIGHUP makes us write to a fresh one.
process.on("SIGHUP", () => {
  logFile?.reopen();
  logger.info({ logFile: config.logFile }, "log file reopened");
});

// A stop while the start waits for the controlplane (to register with) ends
// it cleanly, exit 0; at any other moment of the start it kills, as before.
const starting = new AbortController();
let registering = false;
const stopStarting = (signal: NodeJS.Signals) => {
  if (!registering) {
    process.off("SIGINT", stopStarting).off("SIGTERM", stopStarting);
    process.kill(process.pid, signal);
    return;
  }
  logger.info({ signal }, "stopped while waiting to register");
  starting.abort();
};
process.on("SIGINT", stopStarting).on("SIGTERM", stopStarting);

let agent;
try {
  agent = await startHostAgent(config, logger, { signal: starting.signal, onRegistering: (active) => (registering = active) });
} catch (err) {
  if (err instanceof RegistrationAborted) {
    logFile?.close();
    process.exit(0);
  }
  logger.fatal({ err: err instanceof RegistrationRefused ? { message: err.message } : err }, "host agent failed to start");
  logFile?.close();
  process.exit(1);
}

process.off("SIGINT", stopStarting).off("SIGTERM", stopStarting);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    agent.close().then(
      () => {
        logFile?.close();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
