import type { SandboxRecord, SandboxRepository } from "../db/sandbox-repository.js";
import type { SandboxEvent } from "../events/event-bus.js";
import { allowedFrom } from "./transitions.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes an outcome event as a conditional status change. Returns the row
 * when this call changed it, null when it was already applied (or overtaken
 * by a later operation) — which makes replaying an event harmless.
 */
export async function applyOutcome(sandboxes: SandboxRepository, event: SandboxEvent): Promise<SandboxRecord | null> {
  // An event naming no valid sandbox can never apply; dropping it beats redelivering it forever.
  if (!uuidPattern.test(event.sandboxId)) return null;
  switch (event.type) {
    case "sandbox.running":
      return sandboxes.transition(event.sandboxId, allowedFrom.running, "running");
    case "sandbox.stopped":
      return sandboxes.transition(event.sandboxId, allowedFrom.stopped, "stopped");
    case "sandbox.error": {
      const from = event.operation === "destroy" ? allowedFrom.destroyFailed : allowedFrom.createFailed;
      return sandboxes.transition(event.sandboxId, from, "error", event.error ?? "unknown error");
    }
  }
}
