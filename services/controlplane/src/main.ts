import { createLogger, installProcessGuards } from "@wrenn/shared";
import { loadControlPlaneConfig } from "./config.js";
import { runControlPlane, stopOnSignals } from "./run-control-plane.js";

// An edition with extensions has this same main, with `extensions: [...]` added.
const config = loadControlPlaneConfig();
const logger = createLogger("controlplane", { level: config.logLevel });
installProcessGuards(logger);

const controlPlane = await runControlPlane({ config, logger }).catch((err: unknown) => {
  logger.fatal({ err }, "controlplane failed to start");
  process.exit(1);
});
stopOnSignals(controlPlane, logger);
