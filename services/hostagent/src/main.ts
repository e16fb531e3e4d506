import { createLogger } from "@wrenn/shared";
import { startHostAgent } from "./agent.js";
import { loadHostAgentConfig } from "./config.js";

const config = loadHostAgentConfig();
const logger = createLogger("hostagent", { level: config.logLevel });
const agent = await startHostAgent(config, logger);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    agent.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
