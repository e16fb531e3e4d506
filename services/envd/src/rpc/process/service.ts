import type { ProcessServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { createStartHandler } from "./start.js";

export function createProcessService(deps: EnvdDeps): ProcessServiceImplementation {
  return { start: createStartHandler(deps) };
}
