import type { EgressPolicy } from "../network/egress-policy.js";
import type { SandboxResources, SandboxStats } from "../runtime/runtime.js";

/** What the sandbox layer tells its callers (the RPC layer) about sandboxes, and what they ask of it. */
export type ExpiryAction = "kill" | "pause";
export type SandboxStateName = "running" | "paused";

export interface SandboxInfo {
  sandboxId: string;
  templateId: string;
  startedAt: Date;
  state: SandboxStateName;
  /** Unset: no TTL (or paused). */
  expiresAt?: Date;
  onExpiry: ExpiryAction;
  resources: SandboxResources;
}

export interface CreateSandboxInput {
  sandboxId: string;
  templateId: string;
  envs: Record<string, string>;
  /** 0 means the default. */
  startTimeoutSeconds: number;
  /** 0 means the agent's default TTL. */
  timeoutSeconds?: number;
  onExpiry?: ExpiryAction;
  egress?: EgressPolicy;
  /**
   * A sandbox of the agent's own (a build's): left out of list() and so of
   * ListSandboxes, WatchEvents and the port tunnel, never relayed to, and
   * destroyed rather than adopted when the agent restarts.
   */
  internal?: boolean;
  /** Start from this checkpoint (SandboxManager.checkpoint's directory) instead of the template's snapshot. */
  fromCheckpoint?: string;
}

export interface SandboxMetrics extends SandboxStats {
  cpuCores: number;
  state: SandboxStateName;
}
