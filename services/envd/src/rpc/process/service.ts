import type { ProcessServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { createCloseStdinHandler } from "./close-stdin.js";
import { createConnectHandler } from "./connect.js";
import { createKillHandler } from "./kill.js";
import { createListHandler } from "./list.js";
import { createSendInputHandler } from "./send-input.js";
import { createSendSignalHandler } from "./send-signal.js";
import { createStartHandler } from "./start.js";
import { createStreamInputHandler } from "./stream-input.js";
import { createUpdateHandler } from "./update.js";

export function createProcessService(deps: EnvdDeps): ProcessServiceImplementation {
  return {
    start: createStartHandler(deps),
    connect: createConnectHandler(deps),
    list: createListHandler(deps),
    sendInput: createSendInputHandler(deps),
    streamInput: createStreamInputHandler(deps),
    closeStdin: createCloseStdinHandler(deps),
    sendSignal: createSendSignalHandler(deps),
    kill: createKillHandler(deps),
    update: createUpdateHandler(deps),
  };
}
