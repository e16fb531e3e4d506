import { isUuid, type SandboxRecord } from "./sandbox.js";
import type { SandboxStore } from "./sandbox-store.js";
import type { SandboxEvent } from "../events/event-bus.js";
import { allowedFrom, hostEventRule } from "./transitions.js";

/**
 * Writes an outcome event as a conditional status change. Returns the row
 * when this call changed it, null when it was already applied (or overtaken
 * by a later operation) — which makes replaying an event harmless.
 */
export async function applyOutcome(sandboxes: SandboxStore, event: SandboxEvent): Promise<SandboxRecord | null> {
  // Ids are UUIDs by now (older wire ids are converted where stream entries are decoded, events/event-bus.ts).
  // An event naming no valid sandbox can never apply; dropping it beats redelivering it forever.
  if (!isUuid(event.sandboxId)) return null;
  const id = event.sandboxId;
  const expiresAt = event.expiresAt === undefined ? undefined : new Date(event.expiresAt);
  switch (event.type) {
    case "sandbox.running": {
      const resources = event.resources;
      return event.operation === "resume"
        ? sandboxes.transition(id, allowedFrom.resumed, "running", { expiresAt: expiresAt ?? null, resources })
        : sandboxes.transition(id, allowedFrom.running, "running", { expiresAt, resources });
    }
    case "sandbox.paused":
      return sandboxes.transition(id, allowedFrom.paused, "paused", { expiresAt: null });
    case "sandbox.stopped":
      return sandboxes.transition(id, allowedFrom.stopped, "stopped", { expiresAt: null });
    case "sandbox.error": {
      const from = event.operation === "destroy" ? allowedFrom.destroyFailed : allowedFrom.createFailed;
      return sandboxes.transition(id, from, "error", event.error ?? "unknown error");
    }
    case "sandbox.settled": {
      if (!event.status) return null;
      const from = event.operation === "resume" ? allowedFrom.resumeFailed : allowedFrom.pauseFailed;
      return sandboxes.transition(id, from, event.status, event.error ?? "");
    }
    case "sandbox.host-event":
      return applyHostEvent(sandboxes, id, event);
  }
}

/**
 * Host events can arrive late or twice (replayed on reconnect with
 * include_recent), so each applies only from the status it was meant for and
 * only if the row has not changed since the host saw it happen: an old
 * AUTO_PAUSED replayed after the user resumed must not pause it again.
 * The one exception: an end the host explains (TTL kill, exit) of a sandbox
 * the reconciler meanwhile marked missing (`despiteLaterChange`).
 */
async function applyHostEvent(sandboxes: SandboxStore, id: string, event: SandboxEvent): Promise<SandboxRecord | null> {
  if (!event.hostEvent) return null;
  const at = new Date(event.time);
  const unchangedSince = Number.isNaN(at.getTime()) ? undefined : at;
  // A status changes between the read and the write at most a few times; the write is conditional.
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await sandboxes.get(id);
    if (!current) return null;
    const rule = hostEventRule(event.hostEvent, current.status, event.detail ?? "");
    if (!rule) return null;
    const updated = await sandboxes.transition(id, rule.from, rule.next, {
      error: rule.error ?? "",
      unchangedSince: rule.despiteLaterChange ? undefined : unchangedSince,
      ...(rule.next === "running" ? {} : { expiresAt: null }),
    });
    if (updated) return updated;
    const after = await sandboxes.get(id);
    // Changed after the event happened: the event is stale.
    if (!after || (unchangedSince && after.updatedAt > unchangedSince) || after.status === current.status) return null;
  }
  return null;
}
