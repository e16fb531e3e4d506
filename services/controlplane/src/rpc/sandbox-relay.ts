import type { Metadata } from "nice-grpc";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import { explainCutCall, relayHostOf } from "../lifecycle/relaying.js";
import type { HostConnection } from "../hosts/host-connection.js";
import { envdCallMetadata } from "../hosts/host-agent-adapter.js";
import { explainingFailures } from "./relay-cuts.js";

export interface RelayTarget {
  connection: HostConnection;
  /** Names the sandbox for the host agent, which routes the envd call by it. */
  metadata: Metadata;
}

/**
 * Finds where to relay an envd call for a sandbox (its UUID) of the caller's
 * team (the principal's): another team's sandbox is NOT_FOUND, like an unknown one.
 */
export type RelayResolver = (teamId: string, sandboxId: string) => Promise<RelayTarget>;

/**
 * `operable` is the lifecycle's one rule for operations on a sandbox (NOT_FOUND,
 * or FAILED_PRECONDITION "sandbox is stopped"); `relayHostOf` adds that it
 * must be running. A call that breaks later is explained by the sandbox's
 * state then (`explainCutCall`).
 */
export function createRelayResolver(
  operable: (teamId: string, id: string) => Promise<SandboxRecord>,
  connectionFor: (hostId: string) => Promise<HostConnection>,
): RelayResolver {
  return async (teamId, sandboxId) => {
    const hostId = relayHostOf(await operable(teamId, sandboxId));
    const connection = await connectionFor(hostId);
    const explain = (err: unknown) => explainCutCall(err, () => operable(teamId, sandboxId));
    return { connection: explainingFailures(connection, explain), metadata: envdCallMetadata(sandboxId) };
  };
}
