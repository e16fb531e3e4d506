import type { SandboxStatus } from "./sandbox.js";
import type { HostEventKind } from "../events/event-bus.js";

/**
 * For each target status, the statuses a sandbox may be in for the change to
 * apply. Every status write goes through one of these as a conditional
 * UPDATE, so two writers racing (the background task and the event consumer,
 * or a create finishing while a destroy starts) can never both win.
 */
export const allowedFrom = {
  /** The host agent reported the sandbox ready. */
  running: ["starting"],
  /** Create failed on the host. */
  createFailed: ["starting"],
  /** Destroy requested; a failed or lost sandbox may be destroyed too. */
  stopping: ["starting", "running", "pausing", "paused", "resuming", "error", "missing"],
  /** The host confirmed the sandbox is gone. */
  stopped: ["stopping"],
  /** Destroy failed on the host: the sandbox stays destroyable. */
  destroyFailed: ["stopping"],
  /** Pause requested. */
  pausing: ["running"],
  /** The host paused it (asked to, or on TTL expiry). */
  paused: ["pausing"],
  /** Resume requested. */
  resuming: ["paused"],
  /** The host resumed it. */
  resumed: ["resuming"],
  /**
   * A pause or resume failed: the status is then chosen from what the host
   * says exists (running, paused or gone), from the transient state only.
   */
  pauseFailed: ["pausing"],
  resumeFailed: ["resuming"],
} as const satisfies Record<string, readonly SandboxStatus[]>;

export interface HostEventRule {
  /** Statuses the event applies to. */
  from: readonly SandboxStatus[];
  next: SandboxStatus;
  error?: string;
  /**
   * Applies even though the row changed after the host saw the event. Set
   * for an end the host explains (TTL kill, exit) of a `missing` sandbox:
   * the reconciler writes `missing` when a sandbox is gone from the host's
   * list, which happens as soon as it ends, often before the host's event
   * about that very end is applied. The event says why, so it wins; `missing`
   * is kept for a sandbox gone without a word.
   */
  despiteLaterChange?: boolean;
}

/**
 * How a host event changes a sandbox, given its current status. Returns null
 * when it changes nothing (already applied, or overtaken by something the
 * user asked for). Pure, so the rules are unit-tested on their own.
 */
export function hostEventRule(kind: HostEventKind, current: SandboxStatus, detail: string): HostEventRule | null {
  const from = [current];
  switch (kind) {
    case "auto-paused":
      // A user's pause in flight ends in the same place.
      return current === "running" || current === "pausing" ? { from, next: "paused" } : null;
    case "ttl-killed":
      if (current === "stopped") return null;
      return { from, next: "stopped", error: current === "stopping" ? "" : "the sandbox's timeout ran out", ...explains(current) };
    case "exited":
      if (current === "stopped") return null;
      // Expected while we are destroying it; otherwise it died on its own.
      if (current === "stopping") return { from, next: "stopped" };
      return detail
        ? { from, next: "error", error: `the sandbox exited unexpectedly (${detail})`, ...explains(current) }
        : { from, next: "stopped", error: "the sandbox exited", ...explains(current) };
    case "lost":
      if (current === "stopped") return null;
      if (current === "stopping") return { from, next: "stopped" };
      if (current === "missing") return null;
      return { from, next: "missing", error: detail ? `the host lost the sandbox (${detail})` : "the host lost the sandbox" };
    case "resume-failed":
      if (current !== "resuming" && current !== "paused" && current !== "running") return null;
      return { from, next: "error", error: detail ? `resume failed: ${detail}` : "resume failed" };
  }
}

/** An event that says why a sandbox ended overrides the reconciler's `missing`, whenever that was written. */
function explains(current: SandboxStatus): Pick<HostEventRule, "despiteLaterChange"> {
  return current === "missing" ? { despiteLaterChange: true } : {};
}

/** Where a sandbox should be after a failed pause/resume, from what its host says exists. */
export function settleFromHost(hostState: "running" | "paused" | "absent", operation: "pause" | "resume", reason: string): {
  next: "running" | "paused" | "error";
  error: string;
} {
  if (hostState === "running") return { next: "running", error: operation === "pause" ? `pause failed: ${reason}` : "" };
  if (hostState === "paused") return { next: "paused", error: operation === "resume" ? `resume failed: ${reason}` : "" };
  return { next: "error", error: `${operation} failed and the host no longer has the sandbox: ${reason}` };
}
