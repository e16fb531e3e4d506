import type { SandboxStatus } from "../db/sandbox-repository.js";

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
  stopping: ["starting", "running", "error", "missing"],
  /** The host confirmed the sandbox is gone. */
  stopped: ["stopping"],
  /** Destroy failed on the host: the sandbox stays destroyable. */
  destroyFailed: ["stopping"],
} as const satisfies Record<string, readonly SandboxStatus[]>;

/** Statuses that a caller waiting on an operation waits to leave. */
export const transientStatuses: readonly SandboxStatus[] = ["starting", "stopping"];

export function isTransient(status: SandboxStatus): boolean {
  return transientStatuses.includes(status);
}
