import type { EnvdServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import type { EnvdDeps } from "../deps.js";
import { createAfterRestoreHandler } from "./after-restore.js";
import { createInitHandler } from "./init.js";
import { createListPortsHandler } from "./list-ports.js";
import { createPrepareSnapshotHandler } from "./prepare-snapshot.js";
import { createWatchPortsHandler } from "./watch-ports.js";

export function createEnvdService(deps: EnvdDeps): EnvdServiceImplementation {
  return {
    init: createInitHandler(deps),
    prepareSnapshot: createPrepareSnapshotHandler(deps),
    afterRestore: createAfterRestoreHandler(deps),
    listPorts: createListPortsHandler(deps),
    watchPorts: createWatchPortsHandler(deps),
  };
}
