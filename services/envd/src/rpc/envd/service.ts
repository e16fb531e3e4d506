import type { EnvdServiceImplementation } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import type { EnvdDeps } from "../deps.js";
import { createInitHandler } from "./init.js";

export function createEnvdService(deps: EnvdDeps): EnvdServiceImplementation {
  return { init: createInitHandler(deps) };
}
