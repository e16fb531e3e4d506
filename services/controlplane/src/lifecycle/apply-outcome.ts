import { fromWireId, isWireId } from "@wrenn/shared";
import type { SandboxRecord, SandboxRepository } from "../db/sandbox-repository.js";
import type { SandboxEvent } from "../events/event-bus.js";
import { allowedFrom } from "./transitions.js";

/**
 * Writes an outcome event as a conditional status change. Returns the row
 * when this call changed it, null when it was already applied (or overtaken
 * by a later operation) — which makes replaying an event harmless.
 */
export async function applyOutcome(sandboxes: SandboxRepository, event: SandboxEvent): Promise<SandboxRecord | null> {
  // An event naming no valid sandbox can never apply; dropping it beats redelivering it forever.
  if (!isWireId("sb", event.sandboxId)) return null;
  const id = fromWireId("sb", event.sandboxId);
  switch (event.type) {
    case "sandbox.running":
      return sandboxes.transition(id, allowedFrom.running, "running");
    case "sandbox.stopped":
      return sandboxes.transition(id, allowedFrom.stopped, "stopped");
    case "sandbox.error": {
      const from = event.operation === "destroy" ? allowedFrom.destroyFailed : allowedFrom.createFailed;
      return sandboxes.transition(id, from, "error", event.error ?? "unknown error");
    }
  }
}
