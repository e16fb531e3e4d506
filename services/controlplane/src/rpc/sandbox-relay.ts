import type { Metadata } from "nice-grpc";
import { errors } from "@wrenn/shared";
import type { SandboxRecord } from "../lifecycle/sandbox.js";
import { explainCutCall, relayHostOf } from "../lifecycle/relaying.js";
import type { HostConnection } from "../hosts/host-connection.js";
import { envdCallMetadata } from "../hosts/host-agent-adapter.js";
import type { Principal } from "../identity/principal.js";
import { explainingFailures } from "./relay-cuts.js";

export interface RelayTarget {
  connection: HostConnection;
  /** Names the sandbox for the host agent, which routes the envd call by it. */
  metadata: Metadata;
}

/** Who asks, as far as reaching a sandbox goes: the principal's team and, for a sandbox access token, its one sandbox. */
export type RelayCaller = Pick<Principal, "teamId" | "onlySandboxId">;

/**
 * Finds where to relay an envd call for a sandbox (its UUID) of the caller's
 * team (the principal's): another team's sandbox is NOT_FOUND, like an
 * unknown one, and so is any sandbox but its own for a sandbox access token.
 */
export type RelayResolver = (caller: RelayCaller, sandboxId: string) => Promise<RelayTarget>;

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
  return async ({ teamId, onlySandboxId }, sandboxId) => {
    // The same words as an unknown id: a token tells nothing about the team's other sandboxes.
    if (onlySandboxId !== undefined && onlySandboxId !== sandboxId) throw errors.notFound("sandbox not found");
    const hostId = relayHostOf(await operable(teamId, sandboxId));
    const connection = await connectionFor(hostId);
    const explain = (err: unknown) => explainCutCall(err, () => operable(teamId, sandboxId));
    return { connection: explainingFailures(connection, explain), metadata: envdCallMetadata(sandboxId) };
  };
}
