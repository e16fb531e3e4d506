import type { CloseStdinRequest, CloseStdinResponse } from "@wrenn/gen/wrenn/envd/v1/process.js";
import type { EnvdDeps } from "../deps.js";
import { toSelector } from "./to-event.js";

/** Closes stdin after pending input; idempotent. For a PTY the program reads end-of-file (^D). */
export function createCloseStdinHandler(deps: EnvdDeps) {
  return async (request: CloseStdinRequest): Promise<CloseStdinResponse> => {
    deps.registry.selectOne(toSelector(request.process)).input.close();
    return {};
  };
}
