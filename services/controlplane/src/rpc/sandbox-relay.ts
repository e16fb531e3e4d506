import { Metadata } from "nice-grpc";
import { errors, fromWireId, toWireId, sandboxIdMetadataKey } from "@wrenn/shared";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import type { HostConnection } from "../hosts/host-connection.js";

export interface RelayTarget {
  connection: HostConnection;
  /** Carries `wrenn-sandbox-id`, which the host agent routes the envd call by. */
  metadata: Metadata;
}

/** Finds where to relay an envd call for a sandbox named on the wire. */
export type RelayResolver = (wireSandboxId: string) => Promise<RelayTarget>;

/**
 * `operable` is the lifecycle's one rule for operations on a sandbox (NOT_FOUND,
 * or FAILED_PRECONDITION "sandbox is stopped"); the rest is about being running.
 */
export function createRelayResolver(
  operable: (id: string) => Promise<SandboxRecord>,
  connectionFor: (hostId: string) => Promise<HostConnection>,
): RelayResolver {
  return async (wireSandboxId) => {
    const id = fromWireId("sb", wireSandboxId, "sandbox_id");
    const record = await operable(id);
    if (record.status === "starting") {
      throw errors.failedPrecondition("sandbox is still starting; retry once it is running (or create it with wait_ready)");
    }
    if (record.status === "paused" || record.status === "pausing") {
      throw errors.failedPrecondition("sandbox is paused; resume it first");
    }
    if (record.status === "resuming") throw errors.failedPrecondition("sandbox is resuming; retry once it is running (or resume it with wait)");
    if (record.status !== "running") throw errors.failedPrecondition(`sandbox is ${record.status}, not running`);
    if (!record.hostId) throw errors.failedPrecondition("sandbox has no host");
    const connection = await connectionFor(record.hostId);
    return { connection, metadata: Metadata({ [sandboxIdMetadataKey]: toWireId("sb", id) }) };
  };
}
