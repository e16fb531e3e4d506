import { createLogger, installProcessGuards } from "@wrenn/shared";
import { loadControlPlaneConfig } from "./config.js";
import { runControlPlane } from "./server.js";

const config = loadControlPlaneConfig();
const logger = createLogger("controlplane", { level: config.logLevel });
installProcessGuards(logger);

try {
  const controlPlane = await runControlPlane({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    void controlPlane.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
} catch (err) {
  logger.fatal({ err }, "controlplane failed to start");
  process.exit(1);
}
