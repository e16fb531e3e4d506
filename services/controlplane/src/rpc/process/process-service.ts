import type { ProcessServiceImplementation } from "@wrenn/gen/wrenn/api/v1/process.js";
import type { RelayResolver } from "../sandbox-relay.js";
import { startProcessHandler } from "./start-process.js";

export function createProcessService(resolve: RelayResolver): ProcessServiceImplementation {
  return { startProcess: startProcessHandler(resolve) };
}
