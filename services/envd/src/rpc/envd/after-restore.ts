import type { AfterRestoreRequest, AfterRestoreResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import type { EnvdDeps } from "../deps.js";

/** Grace for the AfterRestore call itself to be answered before old connections are cut. */
const cutGraceMs = 1_000;

/**
 * Ends every stream from before the snapshot (UNAVAILABLE; clients
 * reconnect), sends GOAWAY on every connection (those from before the pause
 * are stale), corrects the clock and restarts pollers.
 */
export function createAfterRestoreHandler(deps: EnvdDeps) {
  return async (request: AfterRestoreRequest): Promise<AfterRestoreResponse> => {
    if (request.nowUnixMs > 0) await deps.clock.correct(request.nowUnixMs);
    await deps.lifecycle.afterRestore();
    deps.connections.closeAll(cutGraceMs);
    return {};
  };
}
