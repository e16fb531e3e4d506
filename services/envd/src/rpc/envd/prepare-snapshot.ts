import type { PrepareSnapshotRequest, PrepareSnapshotResponse } from "@wrenn/gen/wrenn/envd/v1/envd.js";
import type { EnvdDeps } from "../deps.js";

/** How long busy connections may keep going after GOAWAY before the pause; the host pauses right after. */
const busyGraceMs = 30_000;

/**
 * Quiesces before the VM is paused: pollers and forwarders stop (hooks),
 * new long work is refused, idle connections get GOAWAY now so that no
 * half-open TCP connection is frozen into the snapshot, and a GC runs when
 * envd was started with --expose-gc.
 */
export function createPrepareSnapshotHandler(deps: EnvdDeps) {
  return async (_request: PrepareSnapshotRequest): Promise<PrepareSnapshotResponse> => {
    await deps.lifecycle.prepareSnapshot();
    deps.connections.closeAll(busyGraceMs);
    (globalThis as { gc?: () => void }).gc?.();
    return {};
  };
}
